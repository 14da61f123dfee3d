package dev.medseg.model.nn;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.function.Supplier;

/**
 * Runs graph construction steps that SameDiff 1.0.0-M2.1 narrates on System.out ("Added differentiated op ..."
 * once per op when it builds the backward graph: thousands of lines for TransUNet) with System.out muted. Our own
 * output goes to stderr through the logger, so only SameDiff's narration is lost; the swap is process-wide, so
 * it is held only for the one-time gradient-graph build.
 */
public final class QuietStdout {
    private static final PrintStream NULL = new PrintStream(OutputStream.nullOutputStream());

    private QuietStdout() {}

    public static synchronized <T> T call(Supplier<T> work) {
        PrintStream saved = System.out;
        System.setOut(NULL);
        try {
            return work.get();
        } finally {
            System.setOut(saved);
        }
    }
}
