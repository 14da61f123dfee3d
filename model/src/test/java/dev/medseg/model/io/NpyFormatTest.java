package dev.medseg.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyFormatTest {
    @TempDir
    Path tmp;

    @Test
    void readsEveryNumpyFixtureExactly() {
        List<String> files = List.of("f4_le", "f4_be", "f8_le", "f2_le", "u1", "i1", "i8_le", "i4_be", "i2_le", "bool",
                "fortran_f4", "fortran_f8_be", "scalar", "empty", "f4_v2", "f4_v3");
        for (String f : files) {
            String rel = "npy/" + f + ".npy";
            try (TensorSource src = NpyFormat.open(Fixtures.path(rel))) {
                assertEquals(List.of(f), src.names());
                Fixtures.assertMatches(src, rel, f);
            }
        }
    }

    @Test
    void reportsDtypesAndOrder() {
        try (TensorSource src = NpyFormat.open(Fixtures.path("npy/fortran_f4.npy"))) {
            TensorInfo i = src.require("fortran_f4");
            assertEquals(DType.F32, i.dtype());
            assertArrayEquals(new long[] {2, 3, 4}, i.shape());
            // C-order element [1][2][3] of arange(24).reshape(2,3,4) is 23, wherever Fortran order stored it
            assertEquals(23f, src.readFloat("fortran_f4")[1 * 12 + 2 * 4 + 3]);
        }
        try (TensorSource src = NpyFormat.open(Fixtures.path("npy/f4_be.npy"))) {
            assertArrayEquals(new float[] {-1.25f, -0.75f}, java.util.Arrays.copyOf(src.readFloat("f4_be"), 2));
            // raw bytes come back little-endian whatever the file's order
            byte[] raw = src.readRaw("f4_be");
            assertEquals(-1.25f, ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getFloat(0));
            assertTrue(assertThrows(CheckpointFormatException.class, () -> src.readLong("f4_be")).getMessage()
                    .contains("not an integer tensor"));
        }
    }

    @Test
    void writerOutputIsByteIdenticalToNumpy() throws IOException {
        float[] v = new float[12];
        for (int i = 0; i < 12; i++) {
            v[i] = i * 0.5f - 1.25f;
        }
        Path out = tmp.resolve("f4.npy");
        NpyFormat.write(out, v, new long[] {3, 4});
        assertArrayEquals(Files.readAllBytes(Fixtures.path("npy/f4_le.npy")), Files.readAllBytes(out));
    }

    @Test
    void roundTripsLongsHalvesScalarsAndEmpty() throws IOException {
        long[] ints = {Long.MIN_VALUE, -1, 0, 1L << 40};
        Path a = tmp.resolve("a.npy");
        NpyFormat.write(a, ints, new long[] {2, 2});
        try (TensorSource s = NpyFormat.open(a)) {
            assertArrayEquals(ints, s.readLong("a"));
            assertEquals(DType.I64, s.require("a").dtype());
        }
        byte[] halves = {0x00, 0x3c, 0x01, 0x00, 0x00, (byte) 0xfc}; // 1.0, smallest subnormal, -inf
        Path h = tmp.resolve("h.npy");
        NpyFormat.writeRaw(h, DType.F16, new long[] {3}, halves);
        try (TensorSource s = NpyFormat.open(h)) {
            assertArrayEquals(new float[] {1f, 0x1p-24f, Float.NEGATIVE_INFINITY}, s.readFloat("h"));
            assertArrayEquals(halves, s.readRaw("h"));
        }
        Path sc = tmp.resolve("sc.npy");
        NpyFormat.write(sc, new float[] {7f}, new long[0]);
        Path em = tmp.resolve("em.npy");
        NpyFormat.write(em, new float[0], new long[] {0, 5});
        try (TensorSource s = NpyFormat.open(sc); TensorSource e = NpyFormat.open(em)) {
            assertArrayEquals(new float[] {7f}, s.readFloat("sc"));
            assertEquals(0, s.require("sc").rank());
            assertEquals(0, e.readFloat("em").length);
            assertArrayEquals(new long[] {0, 5}, e.require("em").shape());
        }
    }

    @Test
    void truncatedDataIsReported() throws IOException {
        byte[] good = Files.readAllBytes(Fixtures.path("npy/f4_le.npy"));
        Path bad = tmp.resolve("cut.npy");
        Files.write(bad, java.util.Arrays.copyOf(good, good.length - 4));
        String msg = assertThrows(CheckpointFormatException.class, () -> NpyFormat.open(bad)).getMessage();
        assertTrue(msg.startsWith(bad.toString()) && msg.contains("needs 48 data bytes but 44") && msg.contains("truncated"), msg);
    }

    @Test
    void headerLengthBeyondFileIsReported() throws IOException {
        Path bad = tmp.resolve("len.npy");
        byte[] b = Files.readAllBytes(Fixtures.path("npy/f4_le.npy"));
        b[8] = (byte) 0xff;
        b[9] = (byte) 0x7f; // 32767-byte header in a 176-byte file
        Files.write(bad, b);
        String msg = assertThrows(CheckpointFormatException.class, () -> NpyFormat.open(bad)).getMessage();
        assertTrue(msg.contains("header length 32767 exceeds the data (176 bytes)"), msg);
    }

    @Test
    void hugeOrOverflowingShapesFailBeforeAllocating() throws IOException {
        String msg = badHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }");
        assertTrue(msg.contains("shape [1000000, 1000000] of f32 needs 4000000000000 data bytes but 0 follow"), msg);
        msg = badHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }");
        assertTrue(msg.contains("overflows a 64-bit element count"), msg);
        msg = badHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }");
        assertTrue(msg.contains("overflows 64 bits"), msg);
    }

    @Test
    void unsupportedOrMalformedHeadersAreNamed() throws IOException {
        assertTrue(badHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }").contains("unsupported dtype '<c8'"));
        assertTrue(badHeader("{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }").contains("unsupported dtype '<u4'"));
        assertTrue(badHeader("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }").contains("lacks a byte order"));
        assertTrue(badHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }").contains("structured"));
        assertTrue(badHeader("{'descr': '<f4', 'shape': (1,), }").contains("lacks descr, fortran_order or shape"));
        assertTrue(badHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}").contains("unexpected header key"));
        assertTrue(badHeader("{'descr': '<f4', 'fortran_order': maybe, 'shape': (1,), }").contains("True or False"));
        Path magic = tmp.resolve("magic.npy");
        Files.write(magic, "NOTNUMPY........".getBytes(StandardCharsets.US_ASCII));
        assertTrue(assertThrows(CheckpointFormatException.class, () -> NpyFormat.open(magic)).getMessage().contains("bad magic"));
        Path tiny = tmp.resolve("tiny.npy");
        Files.write(tiny, new byte[] {(byte) 0x93, 'N'});
        assertTrue(assertThrows(CheckpointFormatException.class, () -> NpyFormat.open(tiny)).getMessage().contains("truncated"));
    }

    /** Writes a v1 .npy with the given header text and no data; returns the error message opening it gives. */
    private String badHeader(String dict) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        byte[] text = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
        out.write(text.length & 0xff);
        out.write(text.length >>> 8);
        out.write(text);
        Path p = tmp.resolve("bad" + System.nanoTime() + ".npy");
        Files.write(p, out.toByteArray());
        String msg = assertThrows(CheckpointFormatException.class, () -> NpyFormat.open(p)).getMessage();
        assertTrue(msg.startsWith(p.toString() + ": "), msg);
        return msg;
    }
}
