package dev.medseg.job.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs one benchmark in a fresh JVM with this JVM's java binary, class path and flags (heap, off-heap limits,
 * add-opens), so each model's peak resident memory is its own. The child prints JSON lines on stdout; they are
 * parsed and passed on, anything else on stdout goes to the log; stderr is inherited.
 */
public final class ChildJvm {
    /** The CLI entry point the child runs. */
    static final String MAIN = "dev.medseg.job.cli.Medseg";

    private ChildJvm() {}

    /** The child's command line: java, this JVM's input arguments, class path, main class, then {@code args}. */
    static List<String> command(List<String> args) {
        String java = ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + "/bin/java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // a debugger agent would clash on its port in the child
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")) cmd.add(a);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(MAIN);
        cmd.addAll(args);
        return cmd;
    }

    /** Runs {@code bench <args>} in a child JVM and returns its figures; fails if it exits non-zero or prints none. */
    public static List<BenchLine> run(List<String> args, Consumer<BenchLine> out, Consumer<String> log) {
        List<String> cmd = command(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        List<BenchLine> lines = new ArrayList<>();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new BenchException("cannot start child JVM " + cmd.get(0) + ": " + e.getMessage(), e);
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("{\"name\":")) {
                    BenchLine b = BenchLine.parse(line);
                    lines.add(b);
                    out.accept(b);
                } else if (!line.isBlank()) {
                    log.accept(line);
                }
            }
            int code = p.waitFor();
            if (code != 0) throw new BenchException("child JVM for '" + String.join(" ", args) + "' exited with " + code);
        } catch (IOException e) {
            throw new BenchException("reading the child JVM's output: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while waiting for the child JVM", e);
        }
        if (lines.isEmpty()) throw new BenchException("child JVM for '" + String.join(" ", args) + "' printed no figures");
        return lines;
    }
}
