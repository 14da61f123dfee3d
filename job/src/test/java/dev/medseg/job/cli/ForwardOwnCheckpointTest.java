package dev.medseg.job.cli;

import dev.medseg.job.config.ConfigLoader;
import dev.medseg.job.config.ModelSettings;
import dev.medseg.job.config.Settings;
import dev.medseg.model.ModelConfig;
import dev.medseg.model.TransUNet;
import dev.medseg.model.io.NpyFormat;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.train.ModelCheckpoint;
import dev.medseg.model.train.Optimizer;
import dev.medseg.model.train.SegmentationLoss;
import dev.medseg.model.train.SegmentationTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** `forward --checkpoint` takes our own checkpoints (trained parameters and BatchNorm statistics, no frozen block). */
class ForwardOwnCheckpointTest {
    @TempDir Path dir;

    static final List<String> TINY = List.of("model.imageSize=32", "model.numClasses=3", "model.vit.hidden=8",
            "model.vit.layers=1", "model.vit.heads=2", "model.vit.mlpDim=16", "model.resnet.width=32",
            "model.resnet.units=[1,1,1]", "model.decoder.channels=[4,4,4,4]", "model.llm.enabled=false");

    @Test
    void logitsOfATrainedCheckpointMatchTheTrainedGraph() throws Exception {
        ModelConfig cfg = ModelSettings.from(new Settings(ConfigLoader.load(Optional.empty(), TINY)));
        var t = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, new Optimizer.Sgd(0.9, 0), 2, 3, null);
        float[] x = new float[2 * 32 * 32];
        byte[] y = new byte[2 * 32 * 32];
        for (int i = 0; i < x.length; i++) { x[i] = (i % 37) / 37f; y[i] = (byte) (i % 3); }
        for (int i = 0; i < 2; i++) t.step(x, y, 0.05, i);
        Path ckpt = dir.resolve("c.safetensors");
        ModelCheckpoint.write(ckpt, t.params(), t.buffers(), t.state(), Map.of());

        // Expected: an eval graph holding the trained parameters and running statistics.
        Graph g = new Graph(Graph.Mode.EVAL, 0, 99, DataType.FLOAT, null);
        TransUNet.build(g, cfg);
        t.parameters().forEach((k, v) -> g.sd().getArrForVarName(k).assign(v));
        for (String b : t.graph().buffers().keySet()) g.sd().getArrForVarName(b).assign(t.graph().sd().getArrForVarName(b));
        INDArray in = Nd4j.create(x, new long[]{2, 1, 32, 32}, 'c');
        float[] expected = g.sd().output(Map.of(TransUNet.INPUT, in), TransUNet.LOGITS).get(TransUNet.LOGITS)
                .dup('c').reshape(-1).toFloatVector();

        Path input = dir.resolve("x.npy"), output = dir.resolve("y.npy");
        NpyFormat.write(input, x, new long[]{2, 1, 32, 32});
        List<String> args = new ArrayList<>(List.of("forward", "--checkpoint", ckpt.toString(), "--input", input.toString(),
                "--output", output.toString()));
        args.addAll(TINY);
        var cl = Medseg.commandLine();
        var err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute(args.toArray(String[]::new)), err.toString());
        assertFalse(err.toString().contains("unused"), err.toString());
        try (TensorSource out = NpyFormat.open(output)) {
            assertArrayEquals(expected, out.readFloat(out.names().get(0)), 1e-6f);
        }
    }
}
