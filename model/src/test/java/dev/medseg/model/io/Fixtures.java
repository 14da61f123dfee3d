package dev.medseg.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Locates tests/fixtures/tensorio and compares readers against expected.json (written by make_fixtures.py). */
final class Fixtures {
    private static Map<String, Object> expected;

    private Fixtures() {
    }

    static Path root() {
        return dev.medseg.model.TestFixtures.fixture("tensorio");
    }

    static Path path(String rel) {
        return root().resolve(rel);
    }

    @SuppressWarnings("unchecked")
    static synchronized Map<String, Object> expected(String fixture) {
        if (expected == null) {
            try {
                expected = (Map<String, Object>) Json.parse(Files.readAllBytes(path("expected.json")), "expected.json");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Object e = expected.get(fixture);
        if (e == null) {
            throw new IllegalStateException("expected.json has no " + fixture);
        }
        return (Map<String, Object>) e;
    }

    static long[] longs(Object jsonList) {
        return ((List<?>) jsonList).stream().mapToLong(o -> (Long) o).toArray();
    }

    /** Asserts that {@code name} in {@code src} has the shape and exact values numpy/torch recorded for it. */
    @SuppressWarnings("unchecked")
    static void assertMatches(TensorSource src, String fixture, String name) {
        Map<String, Object> e = (Map<String, Object>) expected(fixture).get(name);
        if (e == null) {
            fail("expected.json has no " + fixture + " / " + name);
        }
        TensorInfo info = src.require(name);
        assertArrayEquals(longs(e.get("shape")), info.shape(), name + " shape");
        if (e.containsKey("f32bits")) {
            assertTrue(info.dtype().isFloating(), name + " should be floating, is " + info.dtype());
            long[] bits = longs(e.get("f32bits"));
            float[] got = src.readFloat(name);
            assertEquals(bits.length, got.length, name + " length");
            for (int i = 0; i < bits.length; i++) {
                int want = (int) bits[i];
                if (Float.isNaN(Float.intBitsToFloat(want))) {
                    assertTrue(Float.isNaN(got[i]), name + "[" + i + "] should be NaN");
                } else {
                    assertEquals(want, Float.floatToRawIntBits(got[i]),
                            name + "[" + i + "]: want " + Float.intBitsToFloat(want) + " got " + got[i]);
                }
            }
        } else {
            assertArrayEquals(longs(e.get("longs")), src.readLong(name), name);
        }
    }

    /** All names recorded for a fixture. */
    static java.util.Set<String> recordedNames(String fixture) {
        return expected(fixture).keySet();
    }
}
