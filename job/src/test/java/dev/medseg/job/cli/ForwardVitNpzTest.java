package dev.medseg.job.cli;

import dev.medseg.model.io.NpyFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** `forward --vit-npz` loads the ImageNet-21k npz (tests/fixtures/vitnpz) strictly into the encoder. */
class ForwardVitNpzTest {
    @TempDir Path dir;

    static Path fixture(String name) {
        for (Path q = Path.of(System.getProperty("medseg.repo.root", "")).toAbsolutePath(); q != null; q = q.getParent()) {
            if (Files.isDirectory(q.resolve(".mvn"))) return q.resolve("tests/fixtures/vitnpz").resolve(name);
        }
        throw new IllegalStateException("no repo root with .mvn");
    }

    int run(StringWriter err, int layers) throws Exception {
        Path in = dir.resolve("x.npy");
        NpyFormat.write(in, new float[32 * 32], new long[]{1, 1, 32, 32});
        List<String> args = new ArrayList<>(List.of("forward", "--vit-npz", fixture("vit_b16.npz").toString(),
                "--input", in.toString(), "--output", dir.resolve("y.npy").toString(),
                "model.encoder=vit", "model.imageSize=32", "model.numClasses=3", "model.vit.hidden=8",
                "model.vit.layers=" + layers, "model.vit.heads=2", "model.vit.mlpDim=16", "model.vit.patchSize=16",
                "model.decoder.channels=[4,4,4,4]", "model.decoder.skips=0"));
        CommandLine cl = Medseg.commandLine();
        cl.setErr(new PrintWriter(err));
        return cl.execute(args.toArray(String[]::new));
    }

    @Test
    void loadsTheEncoderAndRuns() throws Exception {
        var err = new StringWriter();
        assertEquals(0, run(err, 2), err.toString());
        assertTrue(err.toString().contains("loaded 37 encoder tensors; position embedding cls dropped"), err.toString());
        assertFalse(err.toString().contains("randomly initialised"), err.toString());
        assertTrue(Files.size(dir.resolve("y.npy")) > 3 * 32 * 32 * 4);
    }

    @Test
    void aConfigMismatchIsAUserErrorNamingTheFile() throws Exception {
        var err = new StringWriter();
        assertNotEquals(0, run(err, 1));
        assertTrue(err.toString().contains("vit_b16.npz: does not fit the model config"), err.toString());
    }
}
