package dev.medseg.job.cli;

import dev.medseg.data.layout.DatasetLayouts;
import dev.medseg.data.layout.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class SynthCommandTest {
    @TempDir Path dir;

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        var cl = new CommandLine(new SynthCommand());
        var out = new StringWriter();
        var err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void synapseDefaultsMakeTransUNetsThirtyCasesListedByTheRegistryLayout() {
        Path root = dir.resolve("btcv");
        Run r = run("--layout", "synapse", "--output", root.toString(), "--size", "32", "--depth", "3", "--seed", "4");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("wrote 60 files to " + root + ": synapse layout, 30 cases (train 18, test 12), 0 rejected"), r.out());
        var l = DatasetLayouts.forName("btcv").list(root);
        assertTrue(l.isClean());
        assertEquals(18, l.countsBySplit().get(Split.TRAIN));
    }

    @Test
    void everyLayoutCanBeGenerated() {
        for (String layout : new String[]{"acdc", "isic2017", "busi"}) {
            Path root = dir.resolve(layout);
            Run r = run("--layout", layout, "--output", root.toString(), "--cases", "3", "--size", "32", "--depth", "2");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().contains(layout + " layout") && r.out().contains(", 0 rejected"), r.out());
            assertTrue(DatasetLayouts.forName(layout).list(root).isClean(), layout);
        }
    }

    @Test
    void badArgumentsAreUserErrors() throws Exception {
        Files.writeString(dir.resolve("x"), "");
        var e = assertThrows(UserError.class, () -> new SynthCommandCall(dir, "synapse", 30).call());
        assertTrue(e.getMessage().contains("is not empty"), e.getMessage());
        e = assertThrows(UserError.class, () -> new SynthCommandCall(dir.resolve("n"), "cvc", 3).call());
        assertTrue(e.getMessage().contains("no synthetic generator for layout 'cvc'"), e.getMessage());
        e = assertThrows(UserError.class, () -> new SynthCommandCall(dir.resolve("n"), "busi", 0).call());
        assertTrue(e.getMessage().contains("cases must be 1..1000"), e.getMessage());
    }

    /** The command with its fields set directly, to see the exception picocli would hand to Medseg's handler. */
    static final class SynthCommandCall {
        final SynthCommand c = new SynthCommand();

        SynthCommandCall(Path out, String layout, int cases) {
            c.layout = layout;
            c.output = out;
            c.cases = cases;
            c.size = 32;
            c.depth = 2;
        }

        Integer call() {
            return c.call();
        }
    }
}
