package dev.medseg.model.train;

import dev.medseg.model.ModelConfig;
import dev.medseg.model.StateDict;
import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.io.SafetensorsSource;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.TransUNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class ModelCheckpointTest {
    @TempDir Path dir;

    @Test
    void roundTripIsExactAndResumingEqualsNotStopping() throws IOException {
        ModelConfig cfg = ModelConfig.testing(3, 32, false);
        Optimizer adam = new Optimizer.Adam(0.9, 0.999, 1e-8, 1e-4);
        var a = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, adam, 2, 5, null);
        var rnd = new SplittableRandom(4);
        var b1 = SegmentationTrainerTest.Batch.random(rnd, 2, 1, 32, 3);
        var b2 = SegmentationTrainerTest.Batch.random(rnd, 2, 1, 32, 3);
        a.step(b1.images(), b1.labels(), 1e-3, 1);
        Path file = dir.resolve("round-1.safetensors");
        ModelCheckpoint.write(file, a.params(), a.buffers(), a.state(), Map.of("round", "1"));
        assertFalse(Files.exists(dir.resolve("round-1.safetensors.partial")));

        var read = ModelCheckpoint.read(file, a.params(), a.buffers());
        assertTrue(read.state().sameAs(a.state()), "checkpoint round trip must be bit-exact");
        assertEquals("1", read.metadata().get("round"));
        assertEquals(ModelCheckpoint.FORMAT, read.metadata().get("format"));

        var b = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, adam, 2, 77, null);
        b.load(read.state());
        a.step(b2.images(), b2.labels(), 1e-3, 2);
        b.step(b2.images(), b2.labels(), 1e-3, 2);
        assertTrue(a.state().sameAs(b.state()), "resumed training must equal uninterrupted training");
    }

    @Test
    void parametersAreAPyTorchStateDict() throws IOException {
        // The file's parameters and buffers load into a graph by reference names (conv kernels OIHW), as a .pth would.
        ModelConfig cfg = ModelConfig.testing(3, 32, false);
        var a = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, new Optimizer.Sgd(0.9, 0), 2, 5, null);
        var batch = SegmentationTrainerTest.Batch.random(new SplittableRandom(1), 2, 1, 32, 3);
        a.step(batch.images(), batch.labels(), 0.01, 1);
        Path file = dir.resolve("c.safetensors");
        ModelCheckpoint.write(file, a.params(), a.buffers(), a.state(), Map.of());
        Graph eval = new Graph(Graph.Mode.EVAL, 0, 123, DataType.FLOAT, null);
        TransUNet.build(eval, cfg);
        try (SafetensorsSource src = SafetensorsSource.openFile(file)) {
            var report = StateDict.load(eval, src);
            assertTrue(report.unused().stream().allMatch(k -> k.startsWith("optimizer.")), report.unused().toString());
            assertEquals(4, src.require("transformer.embeddings.hybrid_model.root.conv.weight").rank());
            assertEquals(32, src.require("transformer.embeddings.hybrid_model.root.conv.weight").dim(0)); // O first
        }
        for (var e : a.params().entries()) {
            assertEquals(a.graph().sd().getArrForVarName(e.name()), eval.sd().getArrForVarName(e.name()), e.name());
        }
    }

    @Test
    void foreignOrDamagedFilesAreRefusedByName() throws IOException {
        ModelConfig small = ModelConfig.testing(3, 32, false);
        var a = new SegmentationTrainer(small, SegmentationLoss.CE_DICE, new Optimizer.Sgd(0.9, 0), 2, 5, null);
        Path file = dir.resolve("c.safetensors");
        ModelCheckpoint.write(file, a.params(), a.buffers(), a.state(), Map.of());

        var other = new SegmentationTrainer(ModelConfig.testing(4, 32, false), SegmentationLoss.CE_DICE,
                new Optimizer.Sgd(0.9, 0), 2, 5, null);
        var e = assertThrows(CheckpointFormatException.class, () -> ModelCheckpoint.read(file, other.params(), other.buffers()));
        assertTrue(e.getMessage().contains("segmentation_head.0.weight") && e.getMessage().contains("c.safetensors"), e.getMessage());

        Path cut = dir.resolve("cut.safetensors");
        Files.copy(file, cut);
        try (FileChannel ch = FileChannel.open(cut, StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(cut) / 2);
        }
        var t = assertThrows(CheckpointFormatException.class, () -> ModelCheckpoint.read(cut, a.params(), a.buffers()));
        assertTrue(t.getMessage().contains("cut.safetensors"), t.getMessage());
    }
}
