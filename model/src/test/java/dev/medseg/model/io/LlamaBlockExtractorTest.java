package dev.medseg.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaBlockExtractorTest {
    @TempDir
    Path tmp;

    @Test
    void metaConsolidatedBlockIsCopiedBitExactInFp16() throws IOException {
        Path out = tmp.resolve("block1.safetensors");
        try (TensorSource src = TorchCheckpointSource.open(Fixtures.path("torch/llama_meta_consolidated.pth"))) {
            LlamaBlockExtractor.Block b = LlamaBlockExtractor.extract(src, 1, out, false);
            assertEquals(new LlamaBlockExtractor.Block("llama_meta_consolidated.pth", 1, LlamaBlockExtractor.Naming.META,
                    16, 48, 16, DType.F16), b);
            try (SafetensorsSource blk = SafetensorsSource.openFile(out)) {
                assertEquals(java.util.Set.copyOf(LlamaBlockExtractor.CANONICAL), java.util.Set.copyOf(blk.names())); // rope.freqs not copied
                for (String c : LlamaBlockExtractor.CANONICAL) {
                    String key = "layers.1." + c;
                    assertEquals(DType.F16, blk.require(c).dtype());
                    assertArrayEquals(src.require(key).shape(), blk.require(c).shape(), c);
                    assertArrayEquals(src.readRaw(key), blk.readRaw(c), c);
                }
                // and against torch's own values for the tensors the generator recorded
                Fixtures.assertMatches(renamed(blk, "layers.1."), "torch/llama_meta_consolidated.pth", "layers.1.feed_forward.w2.weight");
                Map<String, String> m = blk.metadata();
                assertEquals("llama_meta_consolidated.pth", m.get("source"));
                assertEquals("1", m.get("layer"));
                assertEquals("meta", m.get("naming"));
                assertEquals("16", m.get("dim"));
                assertEquals("48", m.get("ffn_dim"));
                assertEquals("16", m.get("n_kv_dim"));
                assertEquals("f16", m.get("dtype"));
                assertFalse(m.containsKey("hf_qk"));
            }
        }
    }

    @Test
    void shardedHfBlockWithGroupedQueryAttentionConvertsToF32() throws IOException {
        Path out = tmp.resolve("hf1.safetensors");
        try (TensorSource src = SafetensorsSource.open(Fixtures.path("llama_hf"))) {
            LlamaBlockExtractor.Block b = LlamaBlockExtractor.extract(src, 1, out, true); // layer 1 spans both shards
            assertEquals(LlamaBlockExtractor.Naming.HF, b.naming());
            assertEquals(8, b.kvDim());
            assertEquals(DType.BF16, b.sourceDtype());
            try (SafetensorsSource blk = SafetensorsSource.openFile(out)) {
                assertEquals(DType.F32, blk.require("attention.wk.weight").dtype());
                assertArrayEquals(new long[] {8, 16}, blk.require("attention.wk.weight").shape());
                assertArrayEquals(src.readFloat("model.layers.1.mlp.gate_proj.weight"), blk.readFloat("feed_forward.w1.weight"));
                assertArrayEquals(src.readFloat("model.layers.1.mlp.up_proj.weight"), blk.readFloat("feed_forward.w3.weight"));
                assertArrayEquals(src.readFloat("model.layers.1.input_layernorm.weight"), blk.readFloat("attention_norm.weight"));
                Fixtures.assertMatches(new Aliased(blk, Map.of(
                        "model.layers.1.self_attn.q_proj.weight", "attention.wq.weight",
                        "model.layers.1.self_attn.k_proj.weight", "attention.wk.weight",
                        "model.layers.1.mlp.down_proj.weight", "feed_forward.w2.weight",
                        "model.layers.1.post_attention_layernorm.weight", "ffn_norm.weight")), "llama_hf",
                        "model.layers.1.self_attn.k_proj.weight");
                assertEquals("hf", blk.metadata().get("naming"));
                assertEquals("f32", blk.metadata().get("dtype"));
                assertEquals("bf16", blk.metadata().get("source_dtype"));
                assertTrue(blk.metadata().get("hf_qk").contains("as-is"));
            }
        }
    }

    @Test
    void readsEachTensorOnceAndNothingElse() throws IOException {
        Map<String, Integer> reads = new java.util.TreeMap<>();
        try (TensorSource src = TorchCheckpointSource.open(Fixtures.path("torch/llama_meta_consolidated.pth"))) {
            LlamaBlockExtractor.extract(new Counting(src, reads), 2, tmp.resolve("b2.safetensors"), false);
        }
        Map<String, Integer> want = new java.util.TreeMap<>();
        LlamaBlockExtractor.CANONICAL.forEach(c -> want.put("layers.2." + c, 1));
        assertEquals(want, reads);
    }

    @Test
    void missingLayerListsThoseThatExist() {
        try (TensorSource src = TorchCheckpointSource.open(Fixtures.path("torch/llama_meta_consolidated.pth"))) {
            String msg = assertThrows(CheckpointFormatException.class,
                    () -> LlamaBlockExtractor.extract(src, 31, tmp.resolve("x.safetensors"), false)).getMessage();
            assertTrue(msg.contains("llama_meta_consolidated.pth") && msg.contains("no LLaMA block 31")
                    && msg.contains("layers present: 0..2"), msg);
            assertFalse(Files.exists(tmp.resolve("x.safetensors")));
        }
    }

    @Test
    void missingOrInconsistentTensorsAreNamed() throws IOException {
        Path bad = tmp.resolve("bad.safetensors");
        writeBlock(bad, 32, null); // w2 declared [dim, 32] instead of [dim, ffn=48]
        try (TensorSource src = SafetensorsSource.openFile(bad)) {
            String msg = assertThrows(CheckpointFormatException.class, () -> LlamaBlockExtractor.inspect(src, 0)).getMessage();
            assertTrue(msg.contains("tensor 'layers.0.feed_forward.w2.weight'") && msg.contains("shape [16, 32], expected [16, 48]"), msg);
        }
        Path lacking = tmp.resolve("lacking.safetensors");
        writeBlock(lacking, 48, "ffn_norm.weight");
        try (TensorSource src = SafetensorsSource.openFile(lacking)) {
            String msg = assertThrows(CheckpointFormatException.class, () -> LlamaBlockExtractor.inspect(src, 0)).getMessage();
            assertTrue(msg.contains("lacks [layers.0.ffn_norm.weight]"), msg);
        }
    }

    /** A Meta-named f32 block 0 with dim 16, ffn 48, whose w2 has {@code w2Cols} columns, minus {@code omit}. */
    private static void writeBlock(Path file, int w2Cols, String omit) throws IOException {
        Map<String, long[]> shapes = Map.of("attention.wq.weight", new long[] {16, 16}, "attention.wk.weight", new long[] {16, 16},
                "attention.wv.weight", new long[] {16, 16}, "attention.wo.weight", new long[] {16, 16},
                "feed_forward.w1.weight", new long[] {48, 16}, "feed_forward.w2.weight", new long[] {16, w2Cols},
                "feed_forward.w3.weight", new long[] {48, 16}, "attention_norm.weight", new long[] {16}, "ffn_norm.weight", new long[] {16});
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (String c : LlamaBlockExtractor.CANONICAL) {
            if (!c.equals(omit)) {
                entries.add(new SafetensorsWriter.Entry("layers.0." + c, DType.F32, shapes.get(c)));
            }
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(file, entries, Map.of())) {
            for (SafetensorsWriter.Entry e : entries) {
                w.write(e.name(), new float[(int) Shapes.numel(e.shape())]);
            }
        }
    }

    /** Views {@code src} with every name prefixed, so that expected.json's source names apply. */
    private static TensorSource renamed(TensorSource src, String prefix) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        src.names().forEach(n -> m.put(prefix + n, n));
        return new Aliased(src, m);
    }

    /** Counts raw and float reads per tensor. */
    private record Counting(TensorSource src, Map<String, Integer> reads) implements TensorSource {
        @Override
        public List<String> names() {
            return src.names();
        }

        @Override
        public java.util.Optional<TensorInfo> info(String name) {
            return src.info(name);
        }

        @Override
        public float[] readFloat(String name) {
            reads.merge(name, 1, Integer::sum);
            return src.readFloat(name);
        }

        @Override
        public long[] readLong(String name) {
            reads.merge(name, 1, Integer::sum);
            return src.readLong(name);
        }

        @Override
        public byte[] readRaw(String name) {
            reads.merge(name, 1, Integer::sum);
            return src.readRaw(name);
        }

        @Override
        public Path file() {
            return src.file();
        }

        @Override
        public void close() {
        }
    }

    /** A TensorSource whose names map to names of another source. */
    private record Aliased(TensorSource src, Map<String, String> alias) implements TensorSource {
        @Override
        public List<String> names() {
            return List.copyOf(alias.keySet());
        }

        @Override
        public java.util.Optional<TensorInfo> info(String name) {
            return alias.containsKey(name) ? src.info(alias.get(name)) : java.util.Optional.empty();
        }

        @Override
        public float[] readFloat(String name) {
            return src.readFloat(alias.get(name));
        }

        @Override
        public long[] readLong(String name) {
            return src.readLong(alias.get(name));
        }

        @Override
        public byte[] readRaw(String name) {
            return src.readRaw(alias.get(name));
        }

        @Override
        public Path file() {
            return src.file();
        }

        @Override
        public void close() {
        }
    }
}
