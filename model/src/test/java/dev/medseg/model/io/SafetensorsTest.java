package dev.medseg.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path tmp;

    @Test
    void readsSingleFileWrittenToTheSpec() {
        String rel = "safetensors/single.safetensors";
        try (SafetensorsSource src = SafetensorsSource.openFile(Fixtures.path(rel))) {
            assertEquals(Fixtures.recordedNames(rel), Set.copyOf(src.names()));
            for (String n : src.names()) {
                Fixtures.assertMatches(src, rel, n);
            }
            assertEquals(Map.of("format", "pt", "note", "fixture \u00e9"), src.metadata());
            assertEquals(DType.BF16, src.require("w_bf16").dtype());
            assertEquals(DType.U8, src.require("mask").dtype());
            assertEquals(0, src.require("scalar").rank());
        }
    }

    @Test
    void shardedCheckpointReadsAsOneSource() throws IOException {
        Path dir = Fixtures.path("llama_hf");
        for (Path p : List.of(dir, dir.resolve("model.safetensors.index.json"))) {
            try (TensorSource src = SafetensorsSource.open(p)) {
                assertEquals(2 + 2 * 9 + 1, src.names().size());
                for (String n : Fixtures.recordedNames("llama_hf")) {
                    Fixtures.assertMatches(src, "llama_hf", n);
                }
                // this tensor lives in the second shard: errors name that shard
                String msg = assertThrows(CheckpointFormatException.class, () -> src.readLong("model.layers.1.mlp.down_proj.weight")).getMessage();
                assertTrue(msg.contains("model-00002-of-00002.safetensors") && msg.contains("'model.layers.1.mlp.down_proj.weight'"), msg);
            }
        }
    }

    @Test
    void writerRoundTripsF32F16Bf16AndMetadata() throws IOException {
        float[] v = {0f, -0f, 1.5f, -3.25f, 65504f, 1e-7f, Float.POSITIVE_INFINITY, 0.1f};
        Path p = tmp.resolve("rt.safetensors");
        List<SafetensorsWriter.Entry> entries = List.of(
                new SafetensorsWriter.Entry("a.f16", DType.F16, new long[] {2, 4}),
                new SafetensorsWriter.Entry("b.f32", DType.F32, new long[] {8}),
                new SafetensorsWriter.Entry("c.bf16", DType.BF16, new long[] {4, 2}),
                new SafetensorsWriter.Entry("d.ids", DType.I64, new long[] {2}));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("source", "test \"quoted\"");
        try (SafetensorsWriter w = SafetensorsWriter.create(p, entries, meta)) {
            w.write("c.bf16", v); // any order
            w.write("a.f16", v);
            w.write("b.f32", v);
            w.writeLong("d.ids", new long[] {-1, 1L << 50});
        }
        assertFalse(Files.exists(tmp.resolve("rt.safetensors.partial")));
        try (SafetensorsSource src = SafetensorsSource.openFile(p)) {
            assertEquals(meta, src.metadata());
            assertArrayEquals(v, src.readFloat("b.f32"));
            float[] h = src.readFloat("a.f16");
            float[] b = src.readFloat("c.bf16");
            for (int i = 0; i < v.length; i++) {
                assertEquals(HalfFloats.halfToFloat(HalfFloats.floatToHalf(v[i])), h[i]);
                assertEquals(HalfFloats.bfloat16ToFloat(HalfFloats.floatToBfloat16(v[i])), b[i]);
            }
            assertEquals(1.5f, h[2]);
            assertEquals(-3.25f, b[3]);
            // the same values through readFloatInto, into a direct buffer at an offset (as off-heap loads use it)
            for (String name : List.of("a.f16", "b.f32", "c.bf16")) {
                java.nio.FloatBuffer out = ByteBuffer.allocateDirect(4 * (v.length + 2)).order(ByteOrder.nativeOrder()).asFloatBuffer();
                out.put(42f);
                src.readFloatInto(name, out);
                assertEquals(v.length + 1, out.position(), name);
                float[] got = new float[v.length];
                out.position(1);
                out.get(got);
                assertArrayEquals(src.readFloat(name), got, name);
            }
            var small = java.nio.FloatBuffer.allocate(3);
            assertThrows(IllegalArgumentException.class, () -> src.readFloatInto("b.f32", small));
            assertThrows(CheckpointFormatException.class, () -> src.readFloatInto("d.ids", java.nio.FloatBuffer.allocate(8)));
            assertArrayEquals(new long[] {-1, 1L << 50}, src.readLong("d.ids"));
            assertArrayEquals(new long[] {4, 2}, src.require("c.bf16").shape());
            // header padding keeps the data section 8-byte aligned
            long n = ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, n % 8);
        }
    }

    @Test
    void incompleteWriterLeavesNoFile() throws IOException {
        Path p = tmp.resolve("partial.safetensors");
        SafetensorsWriter w = SafetensorsWriter.create(p, List.of(
                new SafetensorsWriter.Entry("a", DType.F32, new long[] {1}),
                new SafetensorsWriter.Entry("b", DType.F32, new long[] {1})), Map.of());
        w.write("a", new float[] {1f});
        String msg = assertThrows(IllegalStateException.class, w::close).getMessage();
        assertTrue(msg.contains("[b]"), msg);
        assertFalse(Files.exists(p));
        assertFalse(Files.exists(tmp.resolve("partial.safetensors.partial")));
    }

    @Test
    void headerLengthBeyondFileOrLimit() throws IOException {
        assertBad(raw(1000, "{}"), "declared header length 1000 exceeds the file");
        assertBad(raw(-2, "{}"), "declared header length 18446744073709551614 exceeds the limit");
        assertBad(new byte[] {1, 2}, "too short");
    }

    @Test
    void hostileTensorEntries() throws IOException {
        assertBad(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8),
                "tensor 't': data_offsets [0, 16] lie outside the data section of 8 bytes");
        assertBad(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
                "tensor 't': data_offsets span 8 bytes but shape [3] of f32 needs 12");
        assertBad(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,8]}}", 8),
                "needs 4000000000000");
        assertBad(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,8]}}", 8),
                "overflows a 64-bit element count");
        assertBad(file("{\"t\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "tensor 't': unsupported dtype \"Q4\"");
        assertBad(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "not a non-negative integer");
        assertBad(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8), "lie outside");
        assertBad(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), "data_offsets is not an array of 2 integers");
        assertBad(file("{\"__metadata__\":{\"a\":1}}", 0), "__metadata__ value of \"a\" is not a string");
        assertBad(file("[1]", 0), "header is not a JSON object");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
                "tensor 'b': data_offsets overlap those of 'a' ([0, 8])");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "overlap");
        String deep = "{\"a\":" + "[".repeat(50_000) + "]".repeat(50_000) + "}";
        assertBad(file(deep, 0), "nesting depth (65) exceeds the maximum allowed (64");
    }

    @Test
    void indexMayNotEscapeItsFolderOrLie() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("shards"));
        Files.copy(Fixtures.path("llama_hf/model-00001-of-00002.safetensors"), dir.resolve("s1.safetensors"));
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\":{\"model.norm.weight\":\"../../etc/passwd\"}}");
        String msg = assertThrows(CheckpointFormatException.class, () -> SafetensorsSource.open(dir)).getMessage();
        assertTrue(msg.contains("tensor 'model.norm.weight'") && msg.contains("not a plain file name"), msg);
        Files.writeString(index, "{\"weight_map\":{\"model.norm.weight\":\"s1.safetensors\"}}"); // it is in shard 2
        msg = assertThrows(CheckpointFormatException.class, () -> SafetensorsSource.open(dir)).getMessage();
        assertTrue(msg.startsWith(index.toString()) && msg.contains("maps it to s1.safetensors, which does not hold it"), msg);
        Files.writeString(index, "{\"weight_map\":{\"x\":\"missing.safetensors\"}}");
        msg = assertThrows(CheckpointFormatException.class, () -> SafetensorsSource.open(dir)).getMessage();
        assertTrue(msg.contains("missing.safetensors") && msg.contains("cannot open"), msg);
        Files.writeString(index, "{\"metadata\":{}}");
        msg = assertThrows(CheckpointFormatException.class, () -> SafetensorsSource.openIndex(index)).getMessage();
        assertTrue(msg.contains("no \"weight_map\""), msg);
    }

    private byte[] raw(long n, String header) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(n).put(h).array();
    }

    private byte[] file(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }

    private void assertBad(byte[] content, String expected) throws IOException {
        Path p = tmp.resolve("bad" + System.nanoTime() + ".safetensors");
        Files.write(p, content);
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafetensorsSource.openFile(p));
        assertTrue(e.getMessage().startsWith(p + ": ") && e.getMessage().contains(expected), e.getMessage());
        assertInstanceOf(RuntimeException.class, e);
    }
}
