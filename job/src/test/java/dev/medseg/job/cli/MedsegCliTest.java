package dev.medseg.job.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.*;

class MedsegCliTest {
    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        CommandLine cl = Medseg.commandLine();
        var out = new StringWriter();
        var err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void infoPrintsVersionsBackendThreadsAndMemory() {
        Run r = run("info");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("spark 4.0"), r.out());
        assertTrue(r.out().contains("dl4j/nd4j 1.0.0-M2.1"), r.out());
        assertTrue(r.out().matches("(?s).*nd4j backend: CpuBackend \\(nd4j-native linux-x86_64-onednn\\), threads: omp \\d+, blas \\d+.*"), r.out());
        assertTrue(r.out().contains("memory: max heap"), r.out());
        assertTrue(r.out().contains("device: cpu"), r.out());
    }

    @Test
    void usageListsEveryCommandOfTheContract() {
        Run r = run("--help");
        assertEquals(0, r.exit());
        for (String c : new String[]{"prep", "train", "evaluate", "predict", "forward", "score", "inspect", "bench", "llm", "info"}) {
            assertTrue(r.out().contains("  " + c + " "), "missing " + c + " in\n" + r.out());
        }
    }

    @Test
    void unknownOptionAndCommandAreUsageErrors() {
        Run r1 = run("info", "--frobnicate");
        assertEquals(2, r1.exit());
        assertTrue(r1.err().contains("Unknown option: '--frobnicate'"), r1.err());
        Run r2 = run("bogus");
        assertEquals(2, r2.exit());
        assertTrue(r2.err().contains("Unmatched argument at index 0: 'bogus'"), r2.err());
        Run r3 = run();
        assertEquals(2, r3.exit());
        assertTrue(r3.err().contains("missing command"), r3.err());
    }

    @Test
    void missingRequiredOptionsAreNamed() {
        Run r = run("train", "--data", "x");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("Missing required option: '--output=RUN_DIR'"), r.err());
    }

    @Test
    void verboseIsAcceptedEverywhere() {
        assertEquals(0, run("--verbose", "info").exit());
        assertEquals(0, run("info", "-v").exit());
    }
}
