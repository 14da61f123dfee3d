package dev.medseg.it;

import dev.medseg.job.cli.Medseg;
import dev.medseg.model.io.NpyFormat;
import dev.medseg.model.io.TensorSource;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `medseg forward` on state dicts saved by the official PyTorch TransUNet (and its LLM-TransUNet modification)
 * reproduces the official eval-mode logits: tests/fixtures/transunet/make_fixtures.py made them.
 */
class ForwardParityTest {
    @TempDir Path dir;

    static final List<String> TINY = List.of("model.imageSize=32", "model.numClasses=3", "model.vit.hidden=8",
            "model.vit.layers=1", "model.vit.heads=2", "model.vit.mlpDim=16", "model.resnet.width=32",
            "model.resnet.units=[1,1,1]", "model.decoder.channels=[4,4,4,4]", "model.decoder.skips=3");

    @ParameterizedTest
    @CsvSource({"tiny_transunet, false, 0", "tiny_llm_transunet, true, 4", "tiny_llm_gqa_transunet, true, 2"})
    void logitsMatchTheOfficialImplementation(String name, boolean llm, int kvHeads) throws Exception {
        Path fx = Repo.root().resolve("tests/fixtures/transunet");
        Path out = dir.resolve("logits.npy");
        List<String> args = new ArrayList<>(List.of("forward", "--checkpoint", fx.resolve(name + ".pth").toString(),
                "--input", fx.resolve(name + "_input.npy").toString(), "--output", out.toString()));
        args.addAll(TINY);
        args.add("model.llm.enabled=" + llm);
        if (llm) args.addAll(List.of("model.llm.dim=16", "model.llm.heads=4", "model.llm.kvHeads=" + kvHeads, "model.llm.ffnDim=24"));
        var cl = Medseg.commandLine();
        var err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute(args.toArray(String[]::new)), err.toString());
        assertTrue(err.toString().contains("loaded "), err.toString());
        assertFalse(err.toString().contains("unused"), err.toString());

        float[] expected, actual;
        long[] shape;
        try (TensorSource e = NpyFormat.open(fx.resolve(name + "_logits.npy")); TensorSource a = NpyFormat.open(out)) {
            expected = e.readFloat(e.names().get(0));
            actual = a.readFloat(a.names().get(0));
            shape = a.require(a.names().get(0)).shape();
            assertArrayEquals(e.require(e.names().get(0)).shape(), shape);
        }
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            min = Math.min(min, expected[i]);
            max = Math.max(max, expected[i]);
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(max - min > 0, "degenerate fixture");
        // The contract is 1e-3 of the logit range; float32 rounding gives ~1e-6, so hold it to 1e-4 absolute.
        assertTrue(worst <= 1e-3 * (max - min), name + ": max |diff| " + worst + " vs logit range " + (max - min));
        assertTrue(worst <= 1e-4, name + ": max |diff| " + worst);
    }
}
