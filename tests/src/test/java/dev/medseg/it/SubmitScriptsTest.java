package dev.medseg.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The command lines submit/*.sh build (MEDSEG_DRY_RUN=1 prints them one argument per line) and the GPU discovery
 * script's JSON, with a stand-in nvidia-smi. StandaloneClusterTest runs local.sh for real.
 */
class SubmitScriptsTest {
    @TempDir Path dir;

    @BeforeAll
    static void built() {
        String why = ChildJvm.notPackaged();
        assumeTrue(why == null, why);
    }

    record Result(int code, List<String> lines, String text) {}

    Result script(String name, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", Repo.root().resolve("submit/" + name).toString()));
        cmd.addAll(List.of(args));
        Path log = dir.resolve("out-" + System.nanoTime() + ".log");
        Map<String, String> e = new HashMap<>(env);
        e.putIfAbsent("MEDSEG_DRY_RUN", "1");
        int code = ChildJvm.run(cmd, e, log, Duration.ofSeconds(30));
        String text = Files.readString(log);
        return new Result(code, text.lines().toList(), text);
    }

    /** The value of the {@code --conf key=...} argument (the last one wins in spark-submit). */
    static String conf(List<String> lines, String key) {
        String found = null;
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).equals("--conf") && lines.get(i + 1).startsWith(key + "=")) found = lines.get(i + 1).substring(key.length() + 1);
        }
        return found;
    }

    /** The java command line bin/medseg would run for {@code args} (JAVA=echo prints it). */
    String launcher(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", Repo.root().resolve("bin/medseg").toString()));
        cmd.addAll(List.of(args));
        Path log = dir.resolve("launcher-" + System.nanoTime() + ".log");
        Map<String, String> e = new HashMap<>(env);
        e.put("JAVA", "echo");
        assertEquals(0, ChildJvm.run(cmd, e, log, Duration.ofSeconds(30)));
        return Files.readString(log);
    }

    @Test
    void theLauncherTurnsC2OffForModelCommandsOnly() throws Exception {
        String c1 = "-XX:TieredStopAtLevel=1";
        for (String[] model : List.of(new String[]{"train"}, new String[]{"forward"}, new String[]{"predict"},
                new String[]{"bench", "train-step"}, new String[]{"bench", "forward"}, new String[]{"bench", "peer"},
                new String[]{"bench", "storage"})) {
            assertTrue(launcher(Map.of(), model).contains(c1), String.join(" ", model));
        }
        for (String[] java : List.of(new String[]{"prep"}, new String[]{"score"}, new String[]{"evaluate"},
                new String[]{"bench", "prep"}, new String[]{"bench", "averaging"}, new String[]{"synth"})) {
            assertFalse(launcher(Map.of(), java).contains(c1), String.join(" ", java));
        }
        // MEDSEG_JAVA_OPTS comes after the launcher's choice, so a user's level wins.
        String line = launcher(Map.of("MEDSEG_JAVA_OPTS", "-Xmx2g -XX:TieredStopAtLevel=4"), "train");
        assertTrue(line.indexOf(c1) < line.indexOf("-XX:TieredStopAtLevel=4"), line);
    }

    @Test
    void theLauncherCapsTheYoungGenerationOfSingleProcessModelCommandsOnly() throws Exception {
        String young = "-Xmn64m";
        for (String[] model : List.of(new String[]{"forward"}, new String[]{"bench", "train-step"},
                new String[]{"bench", "forward"}, new String[]{"bench", "peer"}, new String[]{"bench", "storage"})) {
            assertTrue(launcher(Map.of(), model).contains(young), String.join(" ", model));
        }
        // Spark drivers (local-mode train and predict hold model-sized arrays on the heap) and Java-heavy commands keep G1's sizing.
        for (String[] other : List.of(new String[]{"train"}, new String[]{"predict"}, new String[]{"prep"},
                new String[]{"bench", "averaging"}, new String[]{"bench", "prep"})) {
            assertFalse(launcher(Map.of(), other).contains(young), String.join(" ", other));
        }
        // A user's own size comes later on the line, so it wins.
        String line = launcher(Map.of("MEDSEG_JAVA_OPTS", "-Xmx2g -Xmn256m"), "forward");
        assertTrue(line.indexOf(young) < line.indexOf("-Xmn256m"), line);
    }

    @Test
    void standaloneWithoutSparkHomeRunsSparkSubmitFromTheBuiltClasspath() throws Exception {
        Result r = script("standalone.sh", Map.of("MEDSEG_SPARK_CONF", "spark.a=1 spark.executor.memory=9g",
                        "MEDSEG_EXECUTOR_OFFHEAP_GB", "3", "MEDSEG_EXECUTOR_CORES", "2"),
                "spark://h:7077", "--conf", "spark.b=2", "--conf=spark.a=3", "train", "--conf", "x.conf", "--data", "d", "k=v");
        assertEquals(0, r.code(), r.text());
        List<String> l = r.lines();
        assertTrue(l.get(0).endsWith("java"), l.get(0));
        assertTrue(l.containsAll(ChildJvm.flags()), "driver JVM lacks the --add-opens flags");
        assertTrue(l.contains("org.apache.spark.deploy.SparkSubmit"));
        assertEquals(ChildJvm.JAR + ":" + ChildJvm.LIB + "/*", l.get(l.indexOf("-cp") + 1));
        assertEquals("spark://h:7077", l.get(l.indexOf("--master") + 1));
        String exec = conf(l, "spark.executor.extraJavaOptions");
        assertTrue(exec.startsWith(String.join(" ", ChildJvm.flags()) + " "), exec);
        // Neither heap shrinks between rounds (G1 would give back and re-grow the state's share every round).
        // ... and G1 starts marking at 70% occupancy, not at an adaptive threshold every state piece crossed.
        for (String f : List.of("-XX:MaxHeapFreeRatio=100", "-XX:-G1UseAdaptiveIHOP", "-XX:InitiatingHeapOccupancyPercent=70")) {
            assertTrue(exec.contains(f), f + " in " + exec);
            assertTrue(l.contains(f), f + " for the driver JVM: " + l);
        }
        // Off-heap 3 GB: JavaCPP capped there, Spark's overhead one GB above it, physical = heap 6 (the default: TransUNet
        // with its momentum averaged every round) + 3 + 1.
        assertTrue(exec.contains("-Dorg.bytedeco.javacpp.maxbytes=3G -Dorg.bytedeco.javacpp.maxphysicalbytes=10G"), exec);
        assertEquals("4g", conf(l, "spark.executor.memoryOverhead"));
        assertEquals("2", conf(l, "spark.executor.cores"));
        assertEquals("2", conf(l, "spark.task.cpus"));
        assertEquals("2", conf(l, "spark.executorEnv.OMP_NUM_THREADS"));
        assertEquals("4", conf(l, "spark.cores.max"));
        // A piece's job returns one piece per worker: above Spark's 1 GB default from 16 workers on.
        assertEquals("16g", conf(l, "spark.driver.maxResultSize"));
        // Passthrough: MEDSEG_SPARK_CONF, then leading --conf arguments, after (so over) the defaults.
        assertEquals("9g", conf(l, "spark.executor.memory"));
        assertEquals("3", conf(l, "spark.a"));
        assertEquals("2", conf(l, "spark.b"));
        assertNull(conf(l, "spark.executor.resource.gpu.amount"));
        // Executors get every dependency but Spark and Scala, which the workers have.
        String jars = l.get(l.indexOf("--jars") + 1);
        assertTrue(jars.contains("/nd4j-api-1.0.0-M2.1.jar"), jars);
        assertFalse(jars.contains("/spark-core_"), jars);
        assertFalse(jars.contains("/scala-library-"), jars);
        // The medseg command line follows the jar untouched, its own --conf included.
        int app = l.indexOf(ChildJvm.JAR.toString());
        assertEquals("dev.medseg.job.cli.Medseg", l.get(app - 1));
        assertEquals(List.of("train", "--conf", "x.conf", "--data", "d", "k=v"), l.subList(app + 1, l.size()));
    }

    @Test
    void sparkHomeIsUsedAndItsJarsAreNotShippedTwice() throws Exception {
        Path home = dir.resolve("spark");
        Files.createDirectories(home.resolve("bin"));
        Files.createDirectories(home.resolve("jars"));
        Files.writeString(home.resolve("jars/nd4j-api-1.0.0-M2.1.jar"), "");
        Result r = script("standalone.sh", Map.of("SPARK_HOME", home.toString(), "MEDSEG_GPU", "1"),
                "spark://h:7077", "train", "--data", "d");
        assertEquals(0, r.code(), r.text());
        List<String> l = r.lines();
        assertEquals(home.resolve("bin/spark-submit").toString(), l.get(0));
        String jars = l.get(l.indexOf("--jars") + 1);
        assertFalse(jars.contains("/nd4j-api-"), jars);
        assertTrue(jars.contains("/spark-core_"), "not in this SPARK_HOME, so shipped: " + jars);
        assertEquals("1", conf(l, "spark.executor.resource.gpu.amount"));
        assertEquals("1", conf(l, "spark.task.resource.gpu.amount"));
        assertEquals(Repo.root().resolve("submit/gpu-discovery.sh").toString(), conf(l, "spark.executor.resource.gpu.discoveryScript"));
        assertTrue(conf(l, "spark.driver.extraJavaOptions").contains("--add-opens=java.base/java.nio=ALL-UNNAMED"));
    }

    @Test
    void localModeGivesTheDriverTheOffHeapBudget() throws Exception {
        Result r = script("local.sh", Map.of("MEDSEG_LOCAL_THREADS", "2"), "info");
        assertEquals(0, r.code(), r.text());
        List<String> l = r.lines();
        assertEquals("local[2]", l.get(l.indexOf("--master") + 1));
        assertTrue(l.contains("-Xmx4g") && l.contains("-Dorg.bytedeco.javacpp.maxbytes=8G"), r.text());
        assertNull(conf(l, "spark.task.cpus"), "local mode must keep one task per slot");
        assertEquals("info", l.get(l.size() - 1));
    }

    @Test
    void usageErrors() throws Exception {
        Result none = script("local.sh", Map.of());
        assertEquals(2, none.code());
        assertTrue(none.text().contains("usage: local.sh [--conf key=value]... COMMAND"), none.text());
        Result noMaster = script("standalone.sh", Map.of(), "train");
        assertEquals(2, noMaster.code());
        assertTrue(noMaster.text().contains("usage: standalone.sh spark://HOST:PORT"), noMaster.text());
        Result dangling = script("local.sh", Map.of(), "--conf");
        assertEquals(2, dangling.code());
        assertTrue(dangling.text().contains("--conf needs key=value"), dangling.text());
        Result yarn = script("yarn.sh", Map.of(), "train");
        assertEquals(2, yarn.code());
        assertTrue(yarn.text().contains("set SPARK_HOME"), yarn.text());
        Result k8s = script("k8s.sh", Map.of("SPARK_HOME", dir.toString()), "k8s://https://api:443", "train");
        assertEquals(2, k8s.code());
        assertTrue(k8s.text().contains("MEDSEG_IMAGE="), k8s.text());
    }

    @Test
    void kubernetesUsesTheJarInsideTheImage() throws Exception {
        Result r = script("k8s.sh", Map.of("SPARK_HOME", dir.toString(), "MEDSEG_IMAGE", "reg/medseg:1", "MEDSEG_GPU", "1"),
                "k8s://https://api:443", "train", "--data", "s3a://b/prep");
        assertEquals(0, r.code(), r.text());
        List<String> l = r.lines();
        assertEquals("cluster", l.get(l.indexOf("--deploy-mode") + 1));
        assertEquals("reg/medseg:1", conf(l, "spark.kubernetes.container.image"));
        assertEquals("/opt/medseg/gpu-discovery.sh", conf(l, "spark.executor.resource.gpu.discoveryScript"));
        assertEquals("nvidia.com", conf(l, "spark.executor.resource.gpu.vendor"));
        assertEquals("local:///opt/medseg/medseg-job.jar", l.get(l.indexOf("dev.medseg.job.cli.Medseg") + 1));
        assertFalse(l.contains("--jars"), "the image has the jars");
    }

    @Test
    void gpuDiscoveryPrintsSparksResourceJson() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path smi = bin.resolve("nvidia-smi");
        Files.writeString(smi, "#!/bin/sh\n[ \"$1\" = --query-gpu=index ] || exit 9\nprintf '0\\n1\\n3\\n'\n");
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        String path = bin + ":" + System.getenv("PATH");
        Result r = script("gpu-discovery.sh", Map.of("PATH", path));
        assertEquals(0, r.code(), r.text());
        assertEquals("{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\", \"3\"]}", r.text().trim());

        Files.writeString(smi, "#!/bin/sh\necho 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver' >&2\nexit 9\n");
        Result broken = script("gpu-discovery.sh", Map.of("PATH", path));
        assertEquals(1, broken.code());
        assertTrue(broken.text().contains("gpu-discovery: nvidia-smi failed: NVIDIA-SMI has failed"), broken.text());
    }
}
