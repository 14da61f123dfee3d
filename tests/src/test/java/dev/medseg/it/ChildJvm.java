package dev.medseg.it;

import dev.medseg.job.bench.ProcessTrees;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Child processes of the integration tests, launched the way users launch them: the packaged jar and its lib/
 * folder (what {@code mvn package} leaves in job/target) with the JVM flags Spark needs on Java 17.
 */
final class ChildJvm {
    /** job/target of this checkout. */
    static final Path TARGET = Repo.root().resolve("job/target");
    /** The application jar users submit. */
    static final Path JAR = TARGET.resolve("medseg-job.jar");
    /** Its runtime dependencies, Spark included. */
    static final Path LIB = TARGET.resolve("lib");

    private ChildJvm() {}

    /**
     * Why the packaged build cannot be used, or null when it can: these tests run what {@code mvn package} made,
     * which a plain {@code mvn test} does not make (or leaves older than the compiled classes).
     */
    static String notPackaged() {
        if (!Files.isRegularFile(JAR) || !Files.isDirectory(LIB) || !Files.isRegularFile(TARGET.resolve("jvm-flags"))) {
            return JAR + " (with lib/ and jvm-flags) is not built: run `mvn package` or `mvn verify`";
        }
        try (var classes = Files.walk(TARGET.resolve("classes"))) {
            long jarTime = Files.getLastModifiedTime(JAR).toMillis();
            boolean stale = classes.filter(Files::isRegularFile).anyMatch(f -> {
                try {
                    return Files.getLastModifiedTime(f).toMillis() > jarTime + 2000;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            return stale ? JAR + " is older than job/target/classes: run `mvn package` or `mvn verify`" : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The flags from job/target/jvm-flags (the --add-opens list). */
    static List<String> flags() {
        try {
            return Arrays.stream(Files.readString(TARGET.resolve("jvm-flags")).trim().split("\\s+")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code java FLAGS extra... -cp JAR:LIB/* mainClass}. */
    static List<String> java(List<String> extraJvmOptions, String mainClass) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(flags());
        cmd.addAll(extraJvmOptions);
        cmd.addAll(List.of("-cp", JAR + ":" + LIB + "/*", mainClass));
        return cmd;
    }

    /** Starts {@code command} with {@code env} added (null values remove a variable), output to {@code log}. */
    static Process start(List<String> command, Map<String, String> env, Path log) {
        var pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("SPARK_HOME");
        pb.environment().remove("MEDSEG_SPARK_CONF");
        env.forEach((k, v) -> {
            if (v == null) pb.environment().remove(k);
            else pb.environment().put(k, v);
        });
        try {
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.get(0), e);
        }
    }

    /** Runs {@code command} to completion within {@code timeout}; returns its exit code (the log holds its output). */
    static int run(List<String> command, Map<String, String> env, Path log, Duration timeout) throws InterruptedException {
        Process p = start(command, env, log);
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            stop(p);
            throw new AssertionError("timed out after " + timeout + ": " + String.join(" ", command) + "\n" + tail(log));
        }
        return p.exitValue();
    }

    /** Ends a process and everything it started (a Worker's executors), waiting a little for each. */
    static void stop(Process p) {
        ProcessTrees.stop(p);
    }

    /** A TCP port free on loopback right now. */
    static int freePort() {
        return ProcessTrees.freeLoopbackPort();
    }

    /** The last lines of a log that are not stack frames or known noise, for assertion messages. */
    static String tail(Path log) {
        try {
            if (!Files.isRegularFile(log)) return "(no log " + log + ")";
            List<String> lines = Files.readAllLines(log).stream()
                    .filter(l -> !l.startsWith("\tat ") && !l.startsWith("Added differentiated op")).toList();
            return "--- " + log + " (last lines) ---\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(unreadable log " + log + ": " + e + ")";
        }
    }
}
