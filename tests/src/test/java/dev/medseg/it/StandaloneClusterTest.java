package dev.medseg.it;

import dev.medseg.job.cli.Medseg;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.RunRecord;
import dev.medseg.job.tables.TrainRound;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.io.TensorSources;
import dev.medseg.model.train.ModelCheckpoint;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The train job submitted the way users submit it, on the packaged jar: once through {@code submit/local.sh}
 * (Spark local mode, 2 task slots) and once with Spark's own {@code SparkSubmit} against a standalone master and two
 * workers on loopback (the classes ship in spark-core), so the two workers train in two executor JVMs. Both runs
 * must write complete outputs and end with bit-identical parameters.
 *
 * <p>Bit equality holds because every input of a worker task is a function of the broadcast state and (seed,
 * worker, step), the graph is built from the seed in each JVM, and the driver sums in double in partition order —
 * provided both runs use the same ND4J thread count: Spark sets an executor's OMP_NUM_THREADS to its cores (1
 * here), while a local-mode JVM would use every core, and a different thread count reorders float reductions
 * (measured: max |diff| 3e-6 after 6 Adam steps). So the local run gets OMP_NUM_THREADS=1.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the cluster run first: the local run overlaps it
class StandaloneClusterTest {
    @TempDir static Path dir;
    static Path data, logs;
    static final Map<String, String> clusterEnv = new HashMap<>();
    static final List<Process> cluster = new ArrayList<>();
    static int masterPort, masterUi;
    static Process localProcess;
    static Path localRun;
    static SparkSession reader;

    /** 12 train slices of 32x32 (ISIC-layout phantoms), a tiny TransUNet, 2 workers x batch 2, 2 epochs: 3 rounds. */
    static final List<String> RECIPE = List.of("model.imageSize=32", "model.numClasses=1", "model.inChannels=3",
            "model.vit.hidden=16", "model.vit.layers=1", "model.vit.heads=2", "model.vit.mlpDim=32",
            "model.resnet.width=32", "model.resnet.units=[1,1,1]", "model.decoder.channels=[8,8,8,8]",
            "model.llm.enabled=false", "train.loss=bce-dice", "train.optimizer.name=adam", "train.optimizer.lr=0.003",
            "train.epochs=2", "train.batchSizePerWorker=2", "train.averagingFrequency=2", "train.augment=flips",
            "train.workers=2",
            // Validation and checkpoints after the last round only: every extra Spark job costs seconds here.
            "train.validateEvery=0", "train.checkpointEvery=0");
    static final int ROUNDS = 3;

    /**
     * Boots the cluster (master + two workers, child JVMs) while this JVM makes the data (generated ISIC 2017 tree
     * -> real prep -> slice shards), then starts the local-mode run, which trains while the cluster test submits:
     * on 2 cores much of each run is waiting (JVM and Spark start-up, scheduling), so overlapping them saves time.
     */
    @BeforeAll
    static void startClusterAndData() throws IOException {
        String why = ChildJvm.notPackaged();
        assumeTrue(why == null, why);
        logs = Files.createDirectories(dir.resolve("logs"));
        Path home = Files.createDirectories(dir.resolve("spark-home/jars")).getParent();
        // The Worker builds executor commands from SPARK_HOME (its jars/ and conf/): an empty one plus
        // spark.executor.extraClassPath stands in for a Spark install.
        clusterEnv.put("SPARK_HOME", home.toString());
        clusterEnv.put("SPARK_LOCAL_IP", "127.0.0.1");
        clusterEnv.put("SPARK_SCALA_VERSION", "2.13");
        masterPort = ChildJvm.freePort();
        masterUi = ChildJvm.freePort();
        // A shared 2-core machine can stall JVMs for a minute or more: generous liveness timeouts everywhere, so
        // a slow run stays slow instead of losing its workers or executors.
        cluster.add(ChildJvm.start(concat(ChildJvm.java(List.of("-Xmx256m", "-Dspark.worker.timeout=600", "-Dspark.network.timeout=600s"),
                        "org.apache.spark.deploy.master.Master"),
                "--host", "127.0.0.1", "--port", Integer.toString(masterPort), "--webui-port", Integer.toString(masterUi)),
                clusterEnv, logs.resolve("master.log")));
        for (int w = 1; w <= 2; w++) {
            Path work = Files.createDirectories(dir.resolve("worker" + w));
            cluster.add(ChildJvm.start(concat(ChildJvm.java(List.of("-Xmx256m", "-Dspark.network.timeout=600s"),
                            "org.apache.spark.deploy.worker.Worker"),
                    "--host", "127.0.0.1", "--cores", "1", "--memory", "2g", "--webui-port", "0",
                    "--work-dir", work.toString(), "spark://127.0.0.1:" + masterPort), clusterEnv, logs.resolve("worker" + w + ".log")));
        }

        Path raw = dir.resolve("isic");
        data = dir.resolve("prep");
        cli("synth", "--layout", "isic2017", "--output", raw.toString(), "--cases", "16", "--size", "32");
        cli("prep", "--conf", conf().toString(), "--input", raw.toString(), "--output", data.toString(), "prep.imageSize=32");

        List<String> cmd = new ArrayList<>(List.of("bash", Repo.root().resolve("submit/local.sh").toString(),
                "train", "--conf", conf().toString(), "--data", data.toString(), "--output", localRunDir().toString()));
        cmd.addAll(RECIPE);
        Map<String, String> env = Map.of("MEDSEG_LOCAL_THREADS", "2", "MEDSEG_DRIVER_HEAP_GB", "1",
                "MEDSEG_DRIVER_OFFHEAP_GB", "2", "OMP_NUM_THREADS", "1", "SPARK_LOCAL_IP", "127.0.0.1",
                "MEDSEG_SPARK_CONF", "spark.network.timeout=600s spark.executor.heartbeatInterval=20s");
        localProcess = ChildJvm.start(cmd, env, logs.resolve("local.log"));
    }

    @AfterAll
    static void stopAll() {
        if (localProcess != null) ChildJvm.stop(localProcess);
        for (int i = cluster.size() - 1; i >= 0; i--) ChildJvm.stop(cluster.get(i));
        if (reader != null) reader.stop();
    }

    @Test
    @Order(2)
    void submitLocalScriptTrainsEndToEnd() throws Exception {
        Path run = localRun();
        assertRunComplete(run);
        List<TrainRound> rounds = rounds(run);
        assertTrue(rounds.get(ROUNDS - 1).loss() < rounds.get(0).loss(), "loss should fall: " + rounds);
    }

    @Test
    @Order(1)
    void twoExecutorJvmsOnAStandaloneClusterEqualLocalMode() throws Exception {
        long t0 = System.nanoTime();
        awaitWorkers(masterUi, cluster, logs);
        long t1 = System.nanoTime();
        Path run = dir.resolve("cluster-run");
        String flags = String.join(" ", ChildJvm.flags());
        List<String> submit = concat(ChildJvm.java(List.of("-Xmx1g", "-Dorg.bytedeco.javacpp.maxbytes=2G"),
                        "org.apache.spark.deploy.SparkSubmit"),
                "--master", "spark://127.0.0.1:" + masterPort, "--deploy-mode", "client",
                "--class", "dev.medseg.job.cli.Medseg",
                "--conf", "spark.executor.extraClassPath=" + ChildJvm.LIB + "/*",
                "--conf", "spark.executor.extraJavaOptions=" + flags + " -Dorg.bytedeco.javacpp.maxbytes=1G",
                "--conf", "spark.driver.extraJavaOptions=" + flags,
                "--conf", "spark.executor.memory=640m", "--conf", "spark.executor.cores=1", "--conf", "spark.cores.max=2",
                // Start only when both executors are up, so each worker's partition trains in its own JVM.
                "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=120s",
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.network.timeout=600s", "--conf", "spark.executor.heartbeatInterval=20s",
                ChildJvm.JAR.toString(), "train", "--conf", conf().toString(), "--data", data.toString(),
                "--output", run.toString());
        submit.addAll(RECIPE);
        Path log = logs.resolve("submit.log");
        int code = ChildJvm.run(submit, clusterEnv, log, Duration.ofMinutes(6));
        assertEquals(0, code, "SparkSubmit on the cluster failed\n" + ChildJvm.tail(log) + executorLogs());
        assertTrue(Files.readString(log).contains("train: done, " + ROUNDS + " rounds"), ChildJvm.tail(log));
        System.out.printf("StandaloneClusterTest: workers registered after %.1f s, SparkSubmit train took %.1f s%n",
                (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);

        // Two executor JVMs (one per worker) each ran ND4J work.
        List<Path> stderr = executorStderr();
        assertEquals(2, stderr.size(), "executor logs: " + stderr);
        for (Path s : stderr) {
            String text = Files.readString(s);
            assertTrue(text.contains("Number of threads used for linear algebra: 1"), s + " never loaded ND4J");
            assertTrue(Pattern.compile("Finished task \\d+\\.\\d+ in stage").matcher(text).find(), s + " ran no task");
        }
        assertRunComplete(run);

        // The same parameters, optimizer slots and BatchNorm buffers as local mode, bit for bit.
        Path a = run.resolve("checkpoints/final.safetensors"), b = localRun().resolve("checkpoints/final.safetensors");
        assertEquals(ModelCheckpoint.metadata(b).get(ModelCheckpoint.STEP_KEY), ModelCheckpoint.metadata(a).get(ModelCheckpoint.STEP_KEY));
        try (TensorSource x = TensorSources.open(a); TensorSource y = TensorSources.open(b)) {
            assertEquals(y.names(), x.names());
            assertTrue(x.names().size() > 100, "too few tensors: " + x.names().size());
            List<String> differ = x.names().stream().filter(n -> !java.util.Arrays.equals(x.readRaw(n), y.readRaw(n))).toList();
            assertTrue(differ.isEmpty(), "cluster and local mode differ in " + differ.size() + " tensors, e.g. " + differ.stream().limit(5).toList());
        }
        assertEquals(rounds(localRun()).stream().map(TrainRound::loss).toList(), rounds(run).stream().map(TrainRound::loss).toList());
    }

    /** The local-mode run through submit/local.sh (started by {@link #startClusterAndData}), once finished. */
    static synchronized Path localRun() throws Exception {
        if (localRun != null) return localRun;
        Path log = logs.resolve("local.log");
        if (!localProcess.waitFor(6, java.util.concurrent.TimeUnit.MINUTES)) {
            fail("submit/local.sh did not finish within 6 minutes\n" + ChildJvm.tail(log));
        }
        assertEquals(0, localProcess.exitValue(), "submit/local.sh failed\n" + ChildJvm.tail(log));
        assertTrue(Files.readString(log).contains("train: done, " + ROUNDS + " rounds"), ChildJvm.tail(log));
        localRun = localRunDir();
        return localRun;
    }

    static Path localRunDir() {
        return dir.resolve("local-run");
    }

    /** Final checkpoint, one train_rounds row per round with both workers, run status succeeded. */
    static void assertRunComplete(Path run) {
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/final.safetensors")), "no final checkpoint in " + run);
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/best.safetensors")), "no best checkpoint in " + run);
        assertTrue(Files.isRegularFile(run.resolve("resolved.conf")));
        assertEquals(Integer.toString(2 * ROUNDS), ModelCheckpoint.metadata(run.resolve("checkpoints/final.safetensors"))
                .get(ModelCheckpoint.STEP_KEY));
        List<TrainRound> rounds = rounds(run);
        assertEquals(List.of(0, 1, 2), rounds.stream().map(TrainRound::round).toList());
        for (TrainRound r : rounds) {
            assertEquals(2, r.workers(), "round " + r.round() + " averaged " + r.workers() + " workers");
            assertTrue(Double.isFinite(r.loss()) && r.loss() > 0, "loss " + r.loss());
        }
        List<RunRecord> runs = ResultTables.read(spark(), ResultTable.RUNS, List.of(run.toString())).collectAsList()
                .stream().map(RunRecord::fromRow).toList();
        assertEquals(1, runs.size());
        assertEquals("succeeded", runs.get(0).status());
        assertEquals("isic2017", runs.get(0).dataset());
    }

    static List<TrainRound> rounds(Path run) {
        return ResultTables.read(spark(), ResultTable.TRAIN_ROUNDS, List.of(run.toString())).orderBy("round")
                .collectAsList().stream().map(TrainRound::fromRow).toList();
    }

    static synchronized SparkSession spark() {
        if (reader == null) {
            reader = SparkSession.builder().master("local[1]").appName("read run tables")
                    .config("spark.ui.enabled", "false").getOrCreate();
        }
        return reader;
    }

    /** Waits (up to 90 s) until the master's status page lists two alive workers. */
    static void awaitWorkers(int ui, List<Process> cluster, Path logs) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            for (Process p : cluster) {
                assertTrue(p.isAlive(), "a cluster process died\n" + ChildJvm.tail(logs.resolve("master.log"))
                        + ChildJvm.tail(logs.resolve("worker1.log")) + ChildJvm.tail(logs.resolve("worker2.log")));
            }
            try {
                last = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ui + "/json/")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                if (Pattern.compile("\"aliveworkers\"\\s*:\\s*2\\b").matcher(last).find()) return;
            } catch (IOException notYet) {
                // the master's web UI is not up yet
            }
            Thread.sleep(500);
        }
        fail("two workers did not register within 90 s; master status: " + last);
    }

    static List<Path> executorStderr() throws IOException {
        List<Path> out = new ArrayList<>();
        for (int w = 1; w <= 2; w++) {
            try (Stream<Path> s = Files.walk(dir.resolve("worker" + w))) {
                s.filter(p -> p.getFileName().toString().equals("stderr")).sorted(Comparator.naturalOrder()).forEach(out::add);
            }
        }
        return out;
    }

    static String executorLogs() {
        try {
            StringBuilder b = new StringBuilder();
            for (Path p : executorStderr()) b.append('\n').append(ChildJvm.tail(p));
            return b.toString();
        } catch (IOException e) {
            return "";
        }
    }

    static Path conf() {
        return Repo.root().resolve("conf/datasets/isic2017.conf");
    }

    static void cli(String... args) {
        var cl = Medseg.commandLine();
        var err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        assertEquals(0, cl.execute(args), args[0] + " failed: " + err);
    }

    static List<String> concat(List<String> head, String... tail) {
        List<String> out = new ArrayList<>(head);
        out.addAll(List.of(tail));
        return out;
    }
}
