package dev.medseg.it;

import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.RunRecord;
import dev.medseg.job.tables.TrainRound;
import dev.medseg.model.train.ModelCheckpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

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
    static Path data;
    static LoopbackCluster cluster;
    static Process localProcess;
    static Path localRun;

    /** 12 train slices of 32x32 (ISIC-layout phantoms), a tiny TransUNet, 2 workers x batch 2, 2 epochs: 3 rounds. */
    static final List<String> RECIPE = List.of("model.imageSize=32", "model.numClasses=1", "model.inChannels=3",
            "model.vit.hidden=16", "model.vit.layers=1", "model.vit.heads=2", "model.vit.mlpDim=32",
            "model.resnet.width=32", "model.resnet.units=[1,1,1]", "model.decoder.channels=[8,8,8,8]",
            "model.llm.enabled=false", "train.loss=bce-dice", "train.optimizer.name=adam", "train.optimizer.lr=0.003",
            "train.epochs=2", "train.batchSizePerWorker=2", "train.averagingFrequency=2", "train.augment=flips",
            "train.workers=2",
            // Validation and checkpoints after the last round only: every extra Spark job costs seconds here.
            "train.validateEvery=0", "train.checkpointEvery=0");
    /** The recipe with every round through the driver (the local run and the first cluster run). */
    static final List<String> VIA_DRIVER = java.util.stream.Stream.concat(RECIPE.stream(),
            java.util.stream.Stream.of("train.exchange=driver")).toList();
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
        cluster = LoopbackCluster.start(dir, 2);
        data = TrainRuns.prepareIsic(dir, 16);
        localProcess = TrainRuns.startLocal(TrainRuns.trainArgs(data, localRunDir(), VIA_DRIVER), 1,
                cluster.logs().resolve("local.log"));
    }

    @AfterAll
    static void stopAll() {
        if (localProcess != null) ChildJvm.stop(localProcess);
        if (cluster != null) cluster.close();
        TrainRuns.stopSpark();
    }

    @Test
    @Order(2)
    void submitLocalScriptTrainsEndToEnd() throws Exception {
        Path run = localRun();
        assertRunComplete(run);
        List<TrainRound> rounds = TrainRuns.rounds(run);
        assertTrue(rounds.get(ROUNDS - 1).loss() < rounds.get(0).loss(), "loss should fall: " + rounds);
    }

    @Test
    @Order(1)
    void twoExecutorJvmsOnAStandaloneClusterEqualLocalMode() throws Exception {
        long t0 = System.nanoTime();
        cluster.awaitWorkers();
        long t1 = System.nanoTime();
        Path run = dir.resolve("cluster-run");
        Path log = cluster.logs().resolve("submit.log");
        int code = ChildJvm.run(cluster.submit(List.of(), TrainRuns.trainArgs(data, run, VIA_DRIVER)), cluster.env(), log,
                Duration.ofMinutes(6));
        assertEquals(0, code, "SparkSubmit on the cluster failed\n" + ChildJvm.tail(log) + cluster.executorLogs());
        assertTrue(Files.readString(log).contains("train: done, " + ROUNDS + " rounds"), ChildJvm.tail(log));
        System.out.printf("StandaloneClusterTest: workers registered after %.1f s, SparkSubmit train took %.1f s%n",
                (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);

        // Two executor JVMs (one per worker) each ran ND4J work.
        List<Path> stderr = cluster.executorStderr();
        assertEquals(2, stderr.size(), "executor logs: " + stderr);
        for (Path s : stderr) {
            String text = Files.readString(s);
            assertTrue(text.contains("Number of threads used for linear algebra: 1"), s + " never loaded ND4J");
            assertTrue(Pattern.compile("Finished task \\d+\\.\\d+ in stage").matcher(text).find(), s + " ran no task");
        }
        assertRunComplete(run);

        // The same parameters, optimizer slots and BatchNorm buffers as local mode, bit for bit.
        TrainRuns.assertSameCheckpoint(localRun().resolve("checkpoints/final.safetensors"),
                run.resolve("checkpoints/final.safetensors"));
        assertEquals(TrainRuns.rounds(localRun()).stream().map(TrainRound::loss).toList(),
                TrainRuns.rounds(run).stream().map(TrainRound::loss).toList());
    }

    @Test
    @Order(3)
    void workersAveragingAmongThemselvesAcrossExecutorsEqualLocalMode() throws Exception {
        // train.exchange = peers (the default, set here all the same): rounds 0 and 1 leave their state on the
        // executors, and each worker of rounds 1 and 2 reads the other's from the other executor JVM and averages it
        // itself. The two executors share this host, so each reads the other worker's state file (train.exchangeFiles).
        assertPeersRunEqualsLocalMode("peers", List.of(),
                Pattern.compile("averaged 2 workers' states: ([1-9][0-9]*) of [0-9]+ pieces from other executors \\(\\1 from same-host files, 0 as blocks\\)"));
    }

    @Test
    @Order(4)
    void workersFetchingEachOthersBlocksAcrossExecutorsEqualLocalMode() throws Exception {
        // Without state files, the other worker's pieces come as blocks through Spark's block transfer.
        assertPeersRunEqualsLocalMode("peers-blocks", List.of("train.exchangeFiles=false"),
                Pattern.compile("averaged 2 workers' states: ([1-9][0-9]*) of [0-9]+ pieces from other executors \\(0 from same-host files, \\1 as blocks\\)"));
    }

    /** A peers run with {@code extra} settings equals local mode, and each executor's log has {@code exchanged}. */
    private static void assertPeersRunEqualsLocalMode(String name, List<String> extra, Pattern exchanged) throws Exception {
        Path run = dir.resolve("cluster-" + name + "-run");
        Path log = cluster.logs().resolve("submit-" + name + ".log");
        List<String> recipe = new java.util.ArrayList<>(RECIPE);
        recipe.add("train.exchange=peers");
        recipe.addAll(extra);
        List<Path> before = cluster.executorStderr();
        int code = ChildJvm.run(cluster.submit(List.of(), TrainRuns.trainArgs(data, run, recipe)), cluster.env(), log,
                Duration.ofMinutes(6));
        assertEquals(0, code, "SparkSubmit on the cluster failed\n" + ChildJvm.tail(log) + cluster.executorLogs());
        assertRunComplete(run);
        // Two workers: their mean has the driver's bits, so the run equals local mode's (the driver's exchange).
        TrainRuns.assertSameCheckpoint(localRun().resolve("checkpoints/final.safetensors"),
                run.resolve("checkpoints/final.safetensors"));
        assertEquals(TrainRuns.rounds(localRun()).stream().map(TrainRound::loss).toList(),
                TrainRuns.rounds(run).stream().map(TrainRound::loss).toList());
        long exchanging = 0;
        for (Path p : cluster.executorStderr()) {
            if (!before.contains(p) && exchanged.matcher(Files.readString(p)).find()) exchanging++;
        }
        assertEquals(2, exchanging, "executors whose log has /" + exchanged + "/\n" + cluster.executorLogs());
    }

    /** The local-mode run through submit/local.sh (started by {@link #startClusterAndData}), once finished. */
    static synchronized Path localRun() throws Exception {
        if (localRun != null) return localRun;
        Path log = cluster.logs().resolve("local.log");
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

    /** Final checkpoint, one train_rounds row per round with both workers and its state fetch, run status succeeded. */
    static void assertRunComplete(Path run) {
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/final.safetensors")), "no final checkpoint in " + run);
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/best.safetensors")), "no best checkpoint in " + run);
        assertTrue(Files.isRegularFile(run.resolve("resolved.conf")));
        assertEquals(Integer.toString(2 * ROUNDS), ModelCheckpoint.metadata(run.resolve("checkpoints/final.safetensors"))
                .get(ModelCheckpoint.STEP_KEY));
        List<TrainRound> rounds = TrainRuns.rounds(run);
        assertEquals(List.of(0, 1, 2), rounds.stream().map(TrainRound::round).toList());
        for (TrainRound r : rounds) {
            assertEquals(2, r.workers(), "round " + r.round() + " averaged " + r.workers() + " workers");
            assertTrue(Double.isFinite(r.loss()) && r.loss() > 0, "loss " + r.loss());
            assertTrue(r.stateFetchSeconds() >= 0 && r.stateFetchSeconds() <= r.computeSeconds() + r.communicationSeconds(),
                    "the workers' wait for the broadcast state is recorded and within the round: " + r);
        }
        List<RunRecord> runs = ResultTables.read(TrainRuns.spark(), ResultTable.RUNS, List.of(run.toString())).collectAsList()
                .stream().map(RunRecord::fromRow).toList();
        assertEquals(1, runs.size());
        assertEquals("succeeded", runs.get(0).status());
        assertEquals("isic2017", runs.get(0).dataset());
    }
}
