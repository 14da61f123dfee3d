package dev.medseg.data.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reads files saved by nibabel 5.0 and compares data, affine, orientation code and the canonical (RAS+) result
 * with nibabel's own {@code get_fdata} and {@code as_closest_canonical}. Fixtures and their generator:
 * tests/fixtures/nifti/ (make_fixtures.py).
 */
class NibabelCrossCheckTest {

    private static final Path FIXTURES = repoRoot().resolve("tests/fixtures/nifti");

    @ParameterizedTest
    @ValueSource(strings = {"oblique_lps", "permuted_be", "scaled_uint16", "qform_only", "pair_uint8", "frames4d"})
    void matchesNibabel(String name) throws IOException {
        Map<String, String> expected = expected();
        Path file = FIXTURES.resolve(expected.get(name + ".file"));
        int frame = (int) numbers(expected, name + ".frame")[0];
        Volume volume = frame < 0 ? new NiftiReader().read(file) : new NiftiReader().read(file, frame);

        assertArrayEquals(toInts(numbers(expected, name + ".shape")),
                new int[] {volume.nx(), volume.ny(), volume.nz()});
        assertArrayEquals(numbers(expected, name + ".affine"), flat(volume.affine()), 1e-5, "affine");
        assertEquals(expected.get(name + ".axcodes"), volume.geometry().orientationCode());
        assertArrayEquals(floats(FIXTURES.resolve(name + ".data.f32")), volume.data(), 1e-4f, "data");

        Volume canonical = volume.toCanonical();
        assertArrayEquals(toInts(numbers(expected, name + ".canonical_shape")),
                new int[] {canonical.nx(), canonical.ny(), canonical.nz()});
        assertArrayEquals(numbers(expected, name + ".canonical_affine"), flat(canonical.affine()), 1e-4,
                "canonical affine");
        assertArrayEquals(numbers(expected, name + ".canonical_zooms"), canonical.spacing(), 1e-5, "zooms");
        assertArrayEquals(floats(FIXTURES.resolve(name + ".canonical.f32")), canonical.data(), 1e-4f,
                "canonical data");
        assertEquals("RAS", canonical.geometry().orientationCode());
    }

    private static Map<String, String> expected() throws IOException {
        Map<String, String> map = new HashMap<>();
        List<String> lines = Files.readAllLines(FIXTURES.resolve("expected.txt"));
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf(" = ");
            map.put(line.substring(0, eq), line.substring(eq + 3).trim());
        }
        return map;
    }

    private static double[] numbers(Map<String, String> expected, String key) {
        String[] parts = expected.get(key).split(" ");
        double[] v = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            v[i] = Double.parseDouble(parts[i]);
        }
        return v;
    }

    private static int[] toInts(double[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = (int) v[i];
        }
        return r;
    }

    private static double[] flat(double[][] m) {
        double[] r = new double[16];
        for (int i = 0; i < 4; i++) {
            System.arraycopy(m[i], 0, r, 4 * i, 4);
        }
        return r;
    }

    private static float[] floats(Path path) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    /** The repository root: system property medseg.repo.root (set by surefire) or the first parent with .mvn. */
    static Path repoRoot() {
        String property = System.getProperty("medseg.repo.root");
        if (property != null && Files.isDirectory(Paths.get(property, "tests"))) {
            return Paths.get(property);
        }
        Path p = Paths.get("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve(".mvn"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("repository root (a folder with .mvn) not found above "
                    + Paths.get("").toAbsolutePath());
        }
        return p;
    }
}
