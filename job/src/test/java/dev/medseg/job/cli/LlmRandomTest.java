package dev.medseg.job.cli;

import dev.medseg.model.LlmWeights;
import dev.medseg.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** `llm random` writes a block that the real loading path (and `llm extract`) accepts. */
class LlmRandomTest {
    @TempDir Path dir;

    @Test
    void aRandomBlockLoadsLikeARealOneAndExtracts() {
        Path block = dir.resolve("tiny.safetensors");
        var r = MedsegCliTest.run("llm", "random", "--dim", "16", "--heads", "4", "--kv-heads", "2", "--ffn", "24",
                "--output", block.toString());
        assertEquals(0, r.exit(), r.err());
        var w = LlmWeights.load(block, 31, new ModelConfig.Llm(16, 4, 2, 24, 1e-6, true, false), DataType.FLOAT);
        assertEquals(9, w.size());
        // kept as in the file, [out, in]: a map that shrinks (16 -> 8) is not transposed (Graph.keptTransposed)
        assertArrayEquals(new long[]{8, 16}, w.get(LlmWeights.GRAPH_PREFIX + "attention.wk.weight").shape());
        // one that grows (16 -> 24) is, as [in, out]
        assertArrayEquals(new long[]{16, 24}, w.get(LlmWeights.GRAPH_PREFIX + "feed_forward.w1.weight").shape());
        Path extracted = dir.resolve("extracted.safetensors");
        var x = MedsegCliTest.run("llm", "extract", "--checkpoint", block.toString(), "--layer", "31", "--output", extracted.toString());
        assertEquals(0, x.exit(), x.err());
        assertTrue(x.out().contains("META naming, dim 16, ffn 24, kv 8"), x.out());
        var wrong = assertThrows(dev.medseg.model.io.CheckpointFormatException.class, () -> LlmWeights.load(block, 31,
                new ModelConfig.Llm(16, 4, 4, 24, 1e-6, true, false), DataType.FLOAT));
        assertTrue(wrong.getMessage().contains("attention.wk.weight"), wrong.getMessage());
        assertEquals(2, MedsegCliTest.run("llm", "random", "--dim", "10", "--heads", "4", "--output", block.toString()).exit());
    }
}
