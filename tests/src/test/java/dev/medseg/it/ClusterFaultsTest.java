package dev.medseg.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.RunRecord;
import dev.medseg.job.tables.TrainRound;
import dev.medseg.job.train.RunDirectory;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.io.TensorSources;
import dev.medseg.model.train.ModelCheckpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Faults injected into real training on a Spark standalone cluster on loopback (a master and two 1-core workers,
 * child JVMs), each run compared bit for bit with an undisturbed local-mode run of the same recipe:
 * <ul>
 *   <li>an executor JVM is killed (SIGKILL) while it runs a training task: Spark reschedules the lost task and
 *   recomputes the lost cached partition, and the run ends with the undisturbed parameters;</li>
 *   <li>the driver JVM is killed after the second periodic checkpoint: every checkpoint left behind opens as a
 *   complete checkpoint, and {@code train --resume} ends with the undisturbed parameters;</li>
 *   <li>an executor JVM is killed while the workers exchange their states among themselves
 *   ({@code train.exchange = peers}): the run ends with the undisturbed parameters.</li>
 * </ul>
 * The reference is local mode with OMP_NUM_THREADS=1, which {@link StandaloneClusterTest} shows to be bit-equal to
 * the cluster (1-core executors run ND4J with one thread).
 */
@Tag("heavy")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFaultsTest {
    @TempDir static Path dir;
    static Path data;
    static LoopbackCluster cluster;
    static Process referenceProcess;
    static Path reference;

    /** The {@link StandaloneClusterTest} model, averaging after every step, a checkpoint after every round: 6 rounds. */
    static final List<String> RECIPE = List.of("model.imageSize=32", "model.numClasses=1", "model.inChannels=3",
            "model.vit.hidden=16", "model.vit.layers=1", "model.vit.heads=2", "model.vit.mlpDim=32",
            "model.resnet.width=32", "model.resnet.units=[1,1,1]", "model.decoder.channels=[8,8,8,8]",
            "model.llm.enabled=false", "train.loss=bce-dice", "train.optimizer.name=adam", "train.optimizer.lr=0.003",
            "train.epochs=2", "train.batchSizePerWorker=2", "train.averagingFrequency=1", "train.augment=flips",
            "train.workers=2", "train.validateEvery=0", "train.checkpointEvery=1", "train.keepCheckpoints=100");
    static final int ROUNDS = 6;
    static final Pattern RUNNING = Pattern.compile("Running task (\\d+)\\.(\\d+) in stage (\\d+)\\.(\\d+) \\(TID (\\d+)\\)");

    @BeforeAll
    static void startClusterDataAndReference() throws IOException {
        String why = ChildJvm.notPackaged();
        assumeTrue(why == null, why);
        cluster = LoopbackCluster.start(dir, 2);
        data = TrainRuns.prepareIsic(dir, 16);
        // The undisturbed run trains while the cluster runs are set up and submitted (much of those is waiting).
        referenceProcess = TrainRuns.startLocal(TrainRuns.trainArgs(data, dir.resolve("reference"), RECIPE), 1,
                cluster.logs().resolve("reference.log"));
    }

    @AfterAll
    static void stopAll() {
        if (referenceProcess != null) ChildJvm.stop(referenceProcess);
        if (cluster != null) cluster.close();
        TrainRuns.stopSpark();
    }

    @Test
    @Order(1)
    void executorKilledMidRoundEndsEqualToUndisturbedRun() throws Exception {
        long t0 = System.nanoTime();
        KilledRun k = trainKillingAnExecutor("executor-killed", RECIPE);
        Path run = k.run();
        KilledTask killed = k.killed();
        String driver = k.driverLog();
        // The driver saw the task die with its executor (not finish before the kill) and ran it again.
        assertTrue(driver.lines().anyMatch(l -> l.contains("Lost task") && l.contains("(TID " + killed.tid() + ")")),
                "the driver never lost TID " + killed.tid() + "\n" + ChildJvm.tail(k.log()));
        System.out.printf("ClusterFaultsTest: killed executor %s during task %s of '%s'; run took %.1f s, %d executor JVMs in all%n",
                killed.executor(), killed.tid(), killed.job(), (System.nanoTime() - t0) / 1e9, cluster.executorStderr().size());

        assertRunComplete(run);
        TrainRuns.assertSameCheckpoint(reference().resolve("checkpoints/final.safetensors"), run.resolve("checkpoints/final.safetensors"));
        assertEquals(losses(reference()), losses(run));
    }

    @Test
    @Order(3)
    void executorKilledWhileWorkersExchangeAmongThemselvesEndsEqualToUndisturbedRun() throws Exception {
        // train.exchange = peers with a checkpoint every third round: rounds 0, 1, 3 and 4 leave their state on the
        // executors. A kill after round 1 takes a worker's state of the previous round with it (the next round's
        // workers then cannot fetch it, and the driver goes back to the last state it holds), or leaves it readable in
        // the dead executor's state file (both executors share this host), or hits a round that started from the
        // driver's broadcast (Spark's retry alone recovers it): in every case, the undisturbed result.
        List<String> recipe = new java.util.ArrayList<>(RECIPE);
        recipe.addAll(List.of("train.exchange=peers", "train.checkpointEvery=3"));
        KilledRun k = trainKillingAnExecutor("executor-killed-peers", recipe);
        Path run = k.run();
        KilledTask killed = k.killed();
        String driver = k.driverLog();
        System.out.printf("ClusterFaultsTest: killed executor %s during task %s of '%s' (peers); %s%n", killed.executor(),
                killed.tid(), killed.job(), driver.lines().filter(l -> l.contains("was lost")).findFirst()
                        .orElse("no worker state was lost"));
        assertRunComplete(run);
        TrainRuns.assertSameCheckpoint(reference().resolve("checkpoints/final.safetensors"), run.resolve("checkpoints/final.safetensors"));
        assertEquals(losses(reference()), losses(run));
    }

    @Test
    @Order(2)
    void driverKilledThenResumedEndsEqualToUninterruptedRun() throws Exception {
        cluster.awaitWorkers();
        long t0 = System.nanoTime();
        Path run = dir.resolve("driver-killed");
        Path checkpoints = run.resolve("checkpoints");
        Path log = cluster.logs().resolve("submit-driver-killed.log");
        Process submit = ChildJvm.start(cluster.submit(List.of(), TrainRuns.trainArgs(data, run, RECIPE)), cluster.env(), log);
        try {
            Path second = checkpoints.resolve("round-000001.safetensors");
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (!Files.exists(second)) {
                assertTrue(submit.isAlive(), "the run ended before its second checkpoint\n" + ChildJvm.tail(log));
                assertTrue(System.nanoTime() < deadline, "no second checkpoint within 5 minutes\n" + ChildJvm.tail(log));
                Thread.sleep(20);
            }
            // Aim at the next checkpoint's copy (the hidden file exists for milliseconds); should the polling miss
            // it, kill once the fourth checkpoint is complete, before the run can end.
            Path fourth = checkpoints.resolve("round-000003.safetensors");
            while (!Files.exists(fourth) && inProgress(checkpoints).isEmpty()) {
                assertTrue(submit.isAlive(), "the run ended before it was killed\n" + ChildJvm.tail(log));
                assertTrue(System.nanoTime() < deadline, "no fourth checkpoint within 5 minutes\n" + ChildJvm.tail(log));
                Thread.sleep(1);
            }
            submit.destroyForcibly();
            assertTrue(submit.waitFor(30, TimeUnit.SECONDS), "the killed driver did not exit");
        } finally {
            ChildJvm.stop(submit);
        }
        double killedAt = (System.nanoTime() - t0) / 1e9;
        assertFalse(Files.readString(log).contains("train: done"), "the driver finished before it was killed");
        assertFalse(Files.exists(checkpoints.resolve(RunDirectory.FINAL)), "the kill came after the end of training");

        // Whatever the kill interrupted, a file under a checkpoint name is a complete checkpoint.
        List<String> left;
        try (Stream<Path> s = Files.list(checkpoints)) {
            left = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        List<String> periodic = left.stream().filter(n -> n.matches("round-\\d{6,}\\.safetensors")).toList();
        assertTrue(periodic.size() >= 2, "checkpoints left: " + left);
        for (String name : periodic) assertCompleteCheckpoint(checkpoints.resolve(name), name);
        int newest = Integer.parseInt(periodic.get(periodic.size() - 1).replaceAll("\\D", ""));
        List<String> interrupted = inProgress(checkpoints);
        // What a kill in the middle of a copy leaves, for a round later than any complete one: resume must not
        // take it (whether or not the kill above hit a copy).
        byte[] complete = Files.readAllBytes(checkpoints.resolve(periodic.get(periodic.size() - 1)));
        Files.write(checkpoints.resolve(".round-000099.safetensors.inprogress"), Arrays.copyOf(complete, complete.length / 2));

        // Resume with the run's own resolved.conf, as users do, on the same cluster (the dead driver's
        // executors are gone or going: the master ends an application whose driver disconnects).
        Path resumeLog = cluster.logs().resolve("submit-resume.log");
        long t1 = System.nanoTime();
        int code = ChildJvm.run(cluster.submit(List.of(), List.of("train", "--resume", "--data", data.toString(),
                "--output", run.toString())), cluster.env(), resumeLog, Duration.ofMinutes(6));
        assertEquals(0, code, "train --resume failed\n" + ChildJvm.tail(resumeLog) + cluster.executorLogs());
        String resumed = Files.readString(resumeLog);
        assertTrue(resumed.contains("train: resuming after round " + newest + " "), ChildJvm.tail(resumeLog));
        assertTrue(resumed.contains("train: done, " + ROUNDS + " rounds"), ChildJvm.tail(resumeLog));
        System.out.printf("ClusterFaultsTest: driver killed %.1f s after submit %s, leaving %s in checkpoints/; resumed after round %d in %.1f s%n",
                killedAt, interrupted.isEmpty() ? "between checkpoint writes" : "while writing " + interrupted, left, newest,
                (System.nanoTime() - t1) / 1e9);

        assertRunComplete(run);
        TrainRuns.assertSameCheckpoint(reference().resolve("checkpoints/final.safetensors"), checkpoints.resolve(RunDirectory.FINAL));
        assertEquals(losses(reference()), losses(run));
    }

    /** A run in which the test killed an executor: its folder, the task it killed, the driver's log file and text. */
    record KilledRun(Path run, KilledTask killed, Path log, String driverLog) {}

    /**
     * Submits {@code recipe} to the cluster as run {@code name}, kills an executor while it trains (see
     * {@link #killExecutorDuringTraining}) and waits for the run, which must end well after the kill.
     */
    static KilledRun trainKillingAnExecutor(String name, List<String> recipe) throws Exception {
        cluster.awaitWorkers();
        Path run = dir.resolve(name);
        Path log = cluster.logs().resolve("submit-" + name + ".log");
        int ui = ChildJvm.freePort();
        List<Path> earlier = cluster.executorStderr(); // earlier runs' executors: one may have died mid-task
        // The driver's UI only serves the REST API that tells which job a running task belongs to.
        Process submit = ChildJvm.start(cluster.submit(List.of("spark.task.maxFailures=4", "spark.ui.enabled=true",
                "spark.ui.port=" + ui), TrainRuns.trainArgs(data, run, recipe)), cluster.env(), log);
        KilledTask killed;
        try {
            killed = killExecutorDuringTraining(submit, log, ui, earlier);
            assertTrue(submit.waitFor(6, TimeUnit.MINUTES), "the run did not finish within 6 minutes after the kill\n" + ChildJvm.tail(log));
        } finally {
            ChildJvm.stop(submit);
        }
        assertEquals(0, submit.exitValue(), "the run failed after the executor was killed\n" + ChildJvm.tail(log) + cluster.executorLogs());
        String driver = Files.readString(log);
        assertTrue(driver.contains("train: done, " + ROUNDS + " rounds"), ChildJvm.tail(log));
        return new KilledRun(run, killed, log, driver);
    }

    /** The task that was running in the executor JVM the test killed. */
    record KilledTask(String executor, String tid, String job) {}

    /**
     * Once the first round is done, waits for a task of a training round to run on an executor, checks with the
     * driver's REST API that its stage belongs to a "medseg train: round" job, and kills that executor's JVM. The
     * executors of {@code earlier} runs are left out: a killed one's log ends in a task it never finished, and stage
     * ids start again in every application.
     */
    static KilledTask killExecutorDuringTraining(Process submit, Path log, int ui, List<Path> earlier) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        boolean restReady = false;
        while (!Files.readString(log).contains("round 1/" + ROUNDS + " ")) {
            assertTrue(submit.isAlive(), "the run ended before its first round\n" + ChildJvm.tail(log));
            assertTrue(System.nanoTime() < deadline, "no first round within 5 minutes\n" + ChildJvm.tail(log));
            // The first REST request starts the API (seconds on a busy machine): not while a task must be caught.
            if (!restReady) restReady = !get(http, ui, "/api/v1/applications").isEmpty();
            Thread.sleep(50);
        }
        Map<String, String> jobOfStage = new HashMap<>();
        Set<String> skipped = new TreeSet<>();
        while (true) {
            assertTrue(submit.isAlive(), "the run ended before a training task could be killed (skipped " + skipped + ")\n" + ChildJvm.tail(log));
            assertTrue(System.nanoTime() < deadline, "no training task to kill within 5 minutes (skipped " + skipped + ")");
            for (Path stderr : cluster.executorStderr()) {
                if (earlier.contains(stderr)) continue;
                Optional<RunningTask> task = runningTask(stderr);
                if (task.isEmpty()) continue;
                String app = stderr.getParent().getParent().getFileName().toString();
                String job = jobOfStage.computeIfAbsent(task.get().stage(), stage -> stageDescription(http, ui, app, stage));
                if (job.isEmpty()) jobOfStage.remove(task.get().stage());
                if (!job.startsWith("medseg train: round")) {
                    skipped.add(job);
                    continue;
                }
                ProcessHandle victim = cluster.executorProcess(stderr).orElseThrow(() ->
                        new AssertionError("no live executor JVM for " + stderr));
                if (!task.equals(runningTask(stderr))) continue; // it finished meanwhile
                assertTrue(victim.destroyForcibly(), "could not kill executor " + victim.pid());
                victim.onExit().get(30, TimeUnit.SECONDS);
                return new KilledTask(stderr.getParent().getFileName().toString(), task.get().tid(), job);
            }
            Thread.sleep(10);
        }
    }

    /** The hidden files a checkpoint is copied to before it is renamed (empty when none is being written). */
    static List<String> inProgress(Path checkpoints) throws IOException {
        try (Stream<Path> s = Files.list(checkpoints)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".") && n.endsWith(".inprogress")).sorted().toList();
        } catch (java.nio.file.NoSuchFileException notYet) {
            return List.of();
        }
    }

    /** A task an executor's log says it started. */
    record RunningTask(String stage, String tid) {}

    /** The last task the executor started, unless it has finished (Spark's executor log, at INFO). */
    static Optional<RunningTask> runningTask(Path stderr) throws IOException {
        String text = Files.readString(stderr);
        Matcher m = RUNNING.matcher(text);
        RunningTask last = null;
        while (m.find()) last = new RunningTask(m.group(3), m.group(5));
        if (last == null || Pattern.compile("Finished task [^\\n]*\\(TID " + last.tid() + "\\)")
                .matcher(text).find()) {
            return Optional.empty();
        }
        return Optional.of(last);
    }

    /** The job description of a stage, from the driver's REST API ("" when it does not know the stage yet). */
    static String stageDescription(HttpClient http, int ui, String app, String stage) {
        String body = get(http, ui, "/api/v1/applications/" + app + "/stages/" + stage);
        if (body.isEmpty()) return "";
        try {
            JsonNode attempts = new ObjectMapper().readTree(body);
            return attempts.isArray() && !attempts.isEmpty() ? attempts.get(0).path("description").asText("") : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** GET from the driver's UI: the body, or "" when it is not up or answers with an error. */
    static String get(HttpClient http, int ui, String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ui + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** A checkpoint file opens, every tensor reads in full, and its metadata says which step it holds. */
    static void assertCompleteCheckpoint(Path file, String name) {
        try (TensorSource s = TensorSources.open(file)) {
            assertTrue(s.names().size() > 100, name + " holds " + s.names().size() + " tensors");
            for (String n : s.names()) {
                long expected = s.info(n).orElseThrow().byteLength();
                assertEquals(expected, s.readRaw(n).length, name + ": " + n);
            }
        }
        var meta = ModelCheckpoint.metadata(file);
        assertEquals(ModelCheckpoint.FORMAT, meta.get(ModelCheckpoint.FORMAT_KEY), name);
        int round = Integer.parseInt(name.replaceAll("\\D", ""));
        assertEquals(Integer.toString(round), meta.get("round"), name);
        assertEquals(Integer.toString(round + 1), meta.get(ModelCheckpoint.STEP_KEY), name + ": one step per round");
    }

    /** The undisturbed local-mode run, once finished. */
    static synchronized Path reference() throws Exception {
        if (reference != null) return reference;
        Path log = cluster.logs().resolve("reference.log");
        if (!referenceProcess.waitFor(6, TimeUnit.MINUTES)) fail("the reference run did not finish within 6 minutes\n" + ChildJvm.tail(log));
        assertEquals(0, referenceProcess.exitValue(), "the reference run failed\n" + ChildJvm.tail(log));
        reference = dir.resolve("reference");
        assertRunComplete(reference);
        return reference;
    }

    static List<Double> losses(Path run) {
        return TrainRuns.rounds(run).stream().map(TrainRound::loss).toList();
    }

    /** A final checkpoint after all steps, each round once in train_rounds with both workers, status succeeded. */
    static void assertRunComplete(Path run) {
        Path fin = run.resolve("checkpoints/" + RunDirectory.FINAL);
        assertTrue(Files.isRegularFile(fin), "no final checkpoint in " + run);
        assertEquals(Integer.toString(ROUNDS), ModelCheckpoint.metadata(fin).get(ModelCheckpoint.STEP_KEY));
        List<TrainRound> rounds = TrainRuns.rounds(run);
        assertEquals(IntStream.range(0, ROUNDS).boxed().toList(), rounds.stream().map(TrainRound::round).toList(),
                "train_rounds of " + run);
        for (TrainRound r : rounds) assertEquals(2, r.workers(), "round " + r.round() + " averaged " + r.workers() + " workers");
        List<RunRecord> runs = ResultTables.read(TrainRuns.spark(), ResultTable.RUNS, List.of(run.toString())).collectAsList()
                .stream().map(RunRecord::fromRow).toList();
        assertEquals(1, runs.size());
        assertEquals("succeeded", runs.get(0).status());
    }
}
