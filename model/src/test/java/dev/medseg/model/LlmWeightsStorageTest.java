package dev.medseg.model;

import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.io.DType;
import dev.medseg.model.io.LlamaBlockExtractor;
import dev.medseg.model.io.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading the frozen block into half-precision storage: types, exactness, and values float16 cannot hold. */
class LlmWeightsStorageTest {
    private static final ModelConfig.Llm TINY = new ModelConfig.Llm(16, 4, 4, 24, 1e-6, true, false);

    @TempDir Path dir;

    @Test
    void anFp16CheckpointLoadsIntoFp16StorageUnchanged() throws IOException {
        Path file = dir.resolve("f16.safetensors");
        Map<String, float[]> written = writeBlock(file, DType.F16, 0);
        Map<String, INDArray> wide = LlmWeights.load(file, 0, TINY, DataType.FLOAT);
        Map<String, INDArray> half = LlmWeights.load(file, 0, TINY.withStorage(WeightStorage.FLOAT16), DataType.FLOAT);
        for (String suffix : LlamaBlockExtractor.CANONICAL) {
            String name = LlmWeights.GRAPH_PREFIX + suffix;
            boolean matrix = half.get(name).rank() == 2;
            assertEquals(matrix ? DataType.HALF : DataType.FLOAT, half.get(name).dataType(), name);
            // fp32 storage widens the file's fp16 values; fp16 storage keeps them: the same numbers
            assertArrayEquals(wide.get(name).data().asFloat(), half.get(name).castTo(DataType.FLOAT).data().asFloat(), name);
            // matrices of maps that do not shrink kept as [in, out], the transpose of the file's [out, in]
            boolean transposed = matrix && !suffix.equals("feed_forward.w2.weight");
            INDArray asFiled = transposed ? wide.get(name).transpose().dup('c') : wide.get(name);
            assertArrayEquals(written.get(suffix), asFiled.data().asFloat(), name);
        }
    }

    @Test
    void aValueBeyondFloat16sRangeIsRefusedNamingFileAndTensor() throws IOException {
        Path file = dir.resolve("big.safetensors");
        writeBlock(file, DType.F32, 70000f);
        var e = assertThrows(CheckpointFormatException.class,
                () -> LlmWeights.load(file, 0, TINY.withStorage(WeightStorage.FLOAT16), DataType.FLOAT));
        assertTrue(e.getMessage().contains("big.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("feed_forward.w2.weight"), e.getMessage());
        assertTrue(e.getMessage().contains("model.llm.storage = bfloat16"), e.getMessage());
        // bfloat16 has fp32's exponent range: the same file loads, rounded
        INDArray w2 = LlmWeights.load(file, 0, TINY.withStorage(WeightStorage.BFLOAT16), DataType.FLOAT)
                .get(LlmWeights.GRAPH_PREFIX + "feed_forward.w2.weight");
        assertEquals(DataType.BFLOAT16, w2.dataType());
        assertEquals(70144f, w2.castTo(DataType.FLOAT).maxNumber().floatValue(), 0f); // 70000 to 8 mantissa bits
    }

    @Test
    void theRangeCheckNamesTheFileAndTensor() {
        // also what StateDict.load runs when a .pth fills a float16-stored block (forward --checkpoint)
        INDArray ok = Nd4j.createFromArray(1f, -65504f, 65519f);
        LlmWeights.requireHalfRange("ref.pth", "transformer.llama.layers.0.attention.wq.weight", ok);
        var e = assertThrows(CheckpointFormatException.class, () -> LlmWeights.requireHalfRange("ref.pth",
                "transformer.llama.layers.0.attention.wq.weight", Nd4j.createFromArray(1f, -65520f)));
        assertTrue(e.getMessage().contains("ref.pth") && e.getMessage().contains("attention.wq.weight")
                && e.getMessage().contains("65520"), e.getMessage());
        assertThrows(CheckpointFormatException.class, () -> LlmWeights.requireHalfRange("ref.pth", "k",
                Nd4j.createFromArray(Float.NaN)));
    }

    @Test
    void exactnessFollowsTheCheckpointsType() {
        assertTrue(LlmWeights.keepsExactly(DType.F16, WeightStorage.FLOAT16));
        assertTrue(LlmWeights.keepsExactly(DType.BF16, WeightStorage.BFLOAT16));
        assertTrue(LlmWeights.keepsExactly(DType.BF16, WeightStorage.FLOAT32));
        assertFalse(LlmWeights.keepsExactly(DType.BF16, WeightStorage.FLOAT16));
        assertFalse(LlmWeights.keepsExactly(DType.F32, WeightStorage.BFLOAT16));
    }

    /** A canonical-named block 0 of {@link #TINY} stored as {@code dtype}; {@code big} != 0 goes into w2. */
    private static Map<String, float[]> writeBlock(Path file, DType dtype, float big) throws IOException {
        Map<String, long[]> shapes = Map.of("attention.wq.weight", new long[] {16, 16}, "attention.wk.weight", new long[] {16, 16},
                "attention.wv.weight", new long[] {16, 16}, "attention.wo.weight", new long[] {16, 16},
                "feed_forward.w1.weight", new long[] {24, 16}, "feed_forward.w2.weight", new long[] {16, 24},
                "feed_forward.w3.weight", new long[] {24, 16}, "attention_norm.weight", new long[] {16}, "ffn_norm.weight", new long[] {16});
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (String c : LlamaBlockExtractor.CANONICAL) entries.add(new SafetensorsWriter.Entry(c, dtype, shapes.get(c)));
        SplittableRandom r = new SplittableRandom(3);
        Map<String, float[]> values = new java.util.HashMap<>();
        try (SafetensorsWriter w = SafetensorsWriter.create(file, entries, Map.of())) {
            for (SafetensorsWriter.Entry e : entries) {
                long[] s = e.shape();
                float[] v = new float[(int) (s.length == 2 ? s[0] * s[1] : s[0])];
                // values with more mantissa bits than fp16 holds: the file's own encoding rounds them
                for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.37);
                if (big != 0 && e.name().equals("feed_forward.w2.weight")) v[5] = big;
                w.write(e.name(), v);
                float[] stored = dtype != DType.F16 ? v.clone()
                        : Nd4j.createFromArray(v).castTo(DataType.HALF).castTo(DataType.FLOAT).toFloatVector();
                values.put(e.name(), stored);
            }
        }
        return values;
    }
}
