package dev.medseg.job.bench;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What {@code mvn package} leaves in job/target and child JVMs run: the application jar, its runtime dependencies in
 * lib/ (Spark included: spark-core ships the standalone Master, Worker and SparkSubmit), and jvm-flags (the
 * --add-opens list Spark needs on Java 17).
 *
 * @param jar   medseg-job.jar
 * @param lib   the dependency folder
 * @param flags the JVM flags
 */
public record PackagedBuild(Path jar, Path lib, List<String> flags) {
    /** The build this class was loaded from; a clear error when it runs from classes (tests, IDE) instead. */
    public static PackagedBuild locate() {
        Path self;
        try {
            self = Path.of(PackagedBuild.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            throw new BenchException("cannot tell where the medseg classes were loaded from: " + e);
        }
        return at(self);
    }

    /** The build around {@code jar}: lib/ and jvm-flags beside it. */
    static PackagedBuild at(Path jar) {
        if (!Files.isRegularFile(jar) || !jar.getFileName().toString().endsWith(".jar")) {
            throw new BenchException("the cluster benchmark runs the packaged jar, but the classes come from " + jar
                    + ": build it with `mvn -B package -DskipTests` and run bin/medseg");
        }
        Path dir = jar.toAbsolutePath().getParent();
        Path lib = dir.resolve("lib"), flagsFile = dir.resolve("jvm-flags");
        if (!Files.isDirectory(lib) || !Files.isRegularFile(flagsFile)) {
            throw new BenchException(dir + " lacks lib/ or jvm-flags beside " + jar.getFileName() + ": run `mvn -B package -DskipTests`");
        }
        try {
            String text = Files.readString(flagsFile).trim();
            if (text.length() > 100_000) throw new BenchException(flagsFile + " is implausibly long (" + text.length() + " chars)");
            List<String> flags = text.isEmpty() ? List.of() : Arrays.asList(text.split("\\s+"));
            return new PackagedBuild(jar.toAbsolutePath(), lib, List.copyOf(flags));
        } catch (IOException e) {
            throw new BenchException("cannot read " + flagsFile + ": " + e.getMessage(), e);
        }
    }

    /** The class path of a child JVM: the jar and everything in lib/. */
    public String classPath() {
        return jar + ":" + lib + "/*";
    }

    /** {@code java FLAGS options... -cp JAR:LIB/* mainClass}, with this JVM's java binary. */
    public List<String> java(List<String> options, String mainClass) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(flags);
        cmd.addAll(options);
        cmd.addAll(List.of("-cp", classPath(), mainClass));
        return cmd;
    }
}
