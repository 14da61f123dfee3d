package dev.medseg.job.train;

import com.typesafe.config.Config;
import dev.medseg.job.cli.UserError;
import dev.medseg.job.config.ConfigLoader;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.TrainRound;
import dev.medseg.job.tables.TestSpark;
import dev.medseg.model.ModelConfig;
import dev.medseg.model.train.ModelCheckpoint;
import dev.medseg.model.train.SegmentationLoss;
import dev.medseg.model.train.SegmentationTrainer;
import dev.medseg.model.train.TrainState;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** Parameter-averaging training in Spark local mode, checked against plain single-process training. */
class TrainJobTest {
    static SparkSession spark;
    static Path data;
    static List<SliceSample> trainSamples;

    /** A tiny binary TransUNet on 32x32 slices, trained with the 2-D recipe's loss. */
    static final List<String> TINY = List.of("model.imageSize=32", "model.numClasses=1", "model.inChannels=1",
            "model.vit.hidden=16", "model.vit.layers=1", "model.vit.heads=2", "model.vit.mlpDim=32",
            "model.vit.dropout=0.1", "model.resnet.width=32", "model.resnet.units=[1,1,1]",
            "model.decoder.channels=[8,8,8,8]", "model.llm.enabled=false",
            "train.loss=bce-dice", "train.optimizer.name=adam", "train.optimizer.lr=0.003",
            "train.schedule.name=cosine", "train.epochs=2", "train.batchSizePerWorker=2", "train.averagingFrequency=2",
            "train.augment=flips", "train.validateEvery=1", "train.checkpointEvery=1", "train.bestMetric=iou");

    @TempDir static Path dir;

    @BeforeAll
    static void shards() {
        spark = TestSpark.session();
        data = dir.resolve("prep");
        trainSamples = SliceShards.phantoms("case", 12, 32, 2, 1);
        SliceShards.write(spark, data, "phantom", "train", trainSamples, 1);
        SliceShards.write(spark, data, "phantom", "val", SliceShards.phantoms("val", 4, 32, 2, 2), 1);
    }

    static Config config(String... more) {
        List<String> o = new ArrayList<>(TINY);
        o.addAll(List.of(more));
        return ConfigLoader.load(Optional.empty(), o);
    }

    static TrainJob.Outcome train(Config c, Path run, boolean resume) {
        return new TrainJob(spark, c, data.toString(), run.toString(), line -> {}).run(resume);
    }

    @Test
    void oneWorkerEqualsPlainTrainingAndWritesTheRun() {
        Config c = config("train.workers=1");
        Path run = dir.resolve("one");
        TrainJob.Outcome o = train(c, run, false);
        // 12 slices, batch 2: 6 steps per epoch, 2 epochs = 12 steps = 6 rounds of 2.
        assertEquals(6, o.rounds());
        assertEquals(12, o.iterations());

        // The same steps, single process: the worker's samples in key order, the same plan.
        RunSpec spec = RunSpec.of(c);
        TrainSettings ts = spec.train();
        var trainer = new SegmentationTrainer(spec.model(), ts.loss(), ts.optimizer(), 2, ts.seed(), null);
        List<SliceSample> sorted = new ArrayList<>(trainSamples);
        sorted.sort(Comparator.comparing(SliceSample::key));
        var plan = new WorkerSteps.Plan(ts.seed(), 2, 12, 6, ts.schedule(12, 2), ts.augment());
        TrainState s = trainer.state();
        for (long first = 0; first < 12; first += 2) s = WorkerSteps.run(trainer, s, sorted, 0, plan, first, 2).state();
        assertTrue(s.sameAs(o.state()), "one worker must equal plain training, max diff " + s.maxParamDifference(o.state()));

        // Outputs: config, checkpoints (pruned to 2 + best + final), tables.
        assertTrue(Files.isRegularFile(run.resolve("resolved.conf")));
        var ckpt = run.resolve("checkpoints");
        assertTrue(Files.isRegularFile(ckpt.resolve("final.safetensors")));
        assertTrue(Files.isRegularFile(ckpt.resolve("best.safetensors")));
        assertEquals(List.of(4, 5), new RunDirectory(run.toString(), spark.sparkContext().hadoopConfiguration()).checkpointRounds());
        var rounds = ResultTables.read(spark, ResultTable.TRAIN_ROUNDS, List.of(run.toString())).orderBy("round").collectAsList();
        assertEquals(6, rounds.size());
        assertEquals(12L, rounds.get(5).getLong(rounds.get(5).fieldIndex("iteration")));
        assertEquals(1, rounds.get(5).getInt(rounds.get(5).fieldIndex("epoch")));
        for (var r : rounds) { // each worker's wait for the broadcast, part of the round's communication
            TrainRound t = TrainRound.fromRow(r);
            assertTrue(t.stateFetchSeconds() >= 0 && t.stateFetchSeconds() <= t.computeSeconds() + t.communicationSeconds(),
                    t.toString());
        }
        var runs = ResultTables.read(spark, ResultTable.RUNS, List.of(run.toString())).collectAsList();
        assertEquals("succeeded", runs.get(0).getString(runs.get(0).fieldIndex("status")));
        var fin = ModelCheckpoint.metadata(ckpt.resolve("final.safetensors"));
        assertEquals("12", fin.get("step"));
        assertNotNull(o.bestScores());
        assertTrue(o.bestScores().iou() >= 0 && o.bestScores().iou() <= 1);
    }

    @Test
    void twoWorkersAverageToOneWorkerOnTheUnionOfTheirBatches() {
        // SGD without momentum, averaging every step, no batch statistics, no dropout, a loss that is a mean over
        // samples: the average of two workers' updates equals one update on both batches together.
        Config c = config("train.workers=2", "train.optimizer.name=sgd", "train.optimizer.momentum=0",
                "train.optimizer.lr=0.05", "train.optimizer.weightDecay=1e-4", "train.schedule.name=constant",
                "train.averagingFrequency=1", "train.augment=none", "model.decoder.batchNorm=false",
                "model.vit.dropout=0", "train.epochs=1", "train.maxRounds=3", "train.valSplit=\"\"");
        TrainJob.Outcome o = train(c, dir.resolve("two"), false);
        assertEquals(3, o.iterations());

        RunSpec spec = RunSpec.of(c);
        TrainSettings ts = spec.train();
        ModelConfig m = spec.model();
        var union = new SegmentationTrainer(m, SegmentationLoss.BCE_DICE, ts.optimizer(), 4, ts.seed(), null);
        List<SliceSample> sorted = new ArrayList<>(trainSamples);
        sorted.sort(Comparator.comparing(SliceSample::key));
        List<List<SliceSample>> workers = List.of(new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < sorted.size(); i++) workers.get(i % 2).add(sorted.get(i));
        int plane = 32 * 32;
        for (long it = 0; it < 3; it++) {
            float[] x = new float[4 * plane];
            byte[] y = new byte[4 * plane];
            int j = 0;
            for (int w = 0; w < 2; w++) {
                for (int pick : BatchPlan.batch(ts.seed(), w, workers.get(w).size(), 2, it)) {
                    SliceSample s = workers.get(w).get(pick);
                    System.arraycopy(s.image(), 0, x, j * plane, plane);
                    System.arraycopy(s.label(), 0, y, j * plane, plane);
                    j++;
                }
            }
            union.step(x, y, 0.05, 0);
        }
        double diff = union.state().maxParamDifference(o.state());
        assertTrue(diff < 2e-6, "averaging identity off by " + diff);
    }

    @Test
    void workersKeepingTheirOptimizerSlotsTrainAsPlainTrainingWithOneWorker() {
        // Adam (two slots), checkpoints every 3 rounds: rounds 1, 2, 4 and 5 of 6 move parameters only. Had a worker
        // lost its moments between rounds, the result would differ from plain training.
        Config c = config("train.workers=1", "train.averageOptimizerState=false", "train.checkpointEvery=3",
                "train.validateEvery=0", "train.exchangePieceSize=64k"); // several pieces per round
        List<String> lines = new ArrayList<>();
        TrainJob.Outcome o = new TrainJob(spark, c, data.toString(), dir.resolve("local-one").toString(), lines::add).run(false);
        RunSpec spec = RunSpec.of(c);
        TrainSettings ts = spec.train();
        var trainer = new SegmentationTrainer(spec.model(), ts.loss(), ts.optimizer(), 2, ts.seed(), null);
        var plan = new WorkerSteps.Plan(ts.seed(), 2, 12, 6, ts.schedule(12, 2), ts.augment());
        TrainState s = trainer.state();
        for (long first = 0; first < 12; first += 2) s = WorkerSteps.run(trainer, s, sortedSamples(), 0, plan, first, 2).state();
        assertTrue(s.sameAs(o.state()), "max diff " + s.maxParamDifference(o.state()));
        assertEquals(2, o.state().slots().length, "the last round brings the slots back");
        assertTrue(lines.stream().noneMatch(l -> l.contains("restarted")), String.join("\n", lines));
    }

    @Test
    void workersKeepingTheirOptimizerSlotsAverageThemOnlyInCheckpointRounds() {
        Config c = config("train.workers=2", "train.averageOptimizerState=false", "train.maxRounds=3", "train.exchangePieceSize=64k",
                "train.checkpointEvery=2", "train.validateEvery=0", "train.valSplit=\"\"");
        TrainJob.Outcome o = train(c, dir.resolve("local-two"), false);
        assertEquals(6, o.iterations());
        assertTrue(StatePieces.of(o.state().withoutSlots(), 64 << 10).count() > 3, "the state travels in several pieces");

        // By hand: round 0 starts everyone from the initial state; rounds 1 (a checkpoint) and 2 (the last) bring
        // the slots back, so round 2 starts from averaged slots; round 1 starts from each worker's own.
        RunSpec spec = RunSpec.of(c);
        TrainSettings ts = spec.train();
        var plan = new WorkerSteps.Plan(ts.seed(), 2, 6, 3, ts.schedule(6, 2), ts.augment());
        List<SliceSample> sorted = sortedSamples();
        List<List<SliceSample>> shares = List.of(new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < sorted.size(); i++) shares.get(i % 2).add(sorted.get(i));
        TrainState init = new SegmentationTrainer(spec.model(), ts.loss(), ts.optimizer(), 2, ts.seed(), null).state();
        TrainState local = byHand(spec, plan, shares, init, new boolean[]{false, true, true});
        assertTrue(local.sameAs(o.state()), "max diff " + local.maxParamDifference(o.state()));
        TrainState averaged = byHand(spec, plan, shares, init, new boolean[]{true, true, true});
        assertTrue(averaged.maxParamDifference(o.state()) > 0, "averaging the slots every round must give another result");
    }

    /** Rounds of two steps on two workers with their own trainers; {@code gather[r]}: round r averages the slots. */
    private static TrainState byHand(RunSpec spec, WorkerSteps.Plan plan, List<List<SliceSample>> shares, TrainState start,
                                     boolean[] gather) {
        TrainSettings ts = spec.train();
        List<SegmentationTrainer> workers = new ArrayList<>();
        for (int w = 0; w < shares.size(); w++) {
            workers.add(new SegmentationTrainer(spec.model(), ts.loss(), ts.optimizer(), 2, ts.seed(), null));
        }
        TrainState s = start;
        for (int r = 0; r < gather.length; r++) {
            List<WorkerSteps.Result> results = new ArrayList<>();
            for (int w = 0; w < workers.size(); w++) {
                results.add(WorkerSteps.run(workers.get(w), s, true, shares.get(w), w, plan, 2L * r, 2, gather[r]));
            }
            RoundSum sum = RoundSum.of(results, 64 << 20);
            assertEquals(0, sum.slotRestarts());
            s = sum.average();
        }
        return s;
    }

    @Test
    void aRunSavedBeforeAKeyExistedResumesWithThatKeysDefault() {
        String saved = ConfigLoader.render(config().withoutPath("model.llm.storage"));
        assertFalse(saved.contains("storage"), "the old run's file lacks the key");
        assertTrue(TrainJob.sameRecipe(TrainJob.savedRecipe(saved), config()));
        assertFalse(TrainJob.sameRecipe(TrainJob.savedRecipe(saved), config("model.llm.storage=float16")));
    }

    @Test
    void checkpointRoundsArePartOfTheRecipeOnlyWhenWorkersKeepTheirSlots() {
        assertTrue(TrainJob.sameRecipe(config("train.checkpointEvery=1"), config("train.checkpointEvery=5", "train.maxRounds=2")));
        assertFalse(TrainJob.sameRecipe(config("train.checkpointEvery=1"), config("train.optimizer.lr=0.1")));
        String local = "train.averageOptimizerState=false";
        assertTrue(TrainJob.sameRecipe(config(local, "train.maxRounds=2"), config(local)));
        assertFalse(TrainJob.sameRecipe(config(local, "train.checkpointEvery=1"), config(local, "train.checkpointEvery=5")));
        assertFalse(TrainJob.sameRecipe(config(local, "train.validateEvery=1"), config(local, "train.validateEvery=5")));
    }

    @Test
    void aWorkerWithoutItsSlotsRestartsThemFromZeroAndSaysSo() {
        RunSpec spec = RunSpec.of(config());
        TrainSettings ts = spec.train();
        var plan = new WorkerSteps.Plan(ts.seed(), 2, 12, 6, ts.schedule(12, 2), ts.augment());
        var trainer = new SegmentationTrainer(spec.model(), ts.loss(), ts.optimizer(), 2, ts.seed(), null);
        TrainState afterOne = WorkerSteps.run(trainer, trainer.state(), sortedSamples(), 0, plan, 0, 2).state();
        WorkerSteps.Result away = WorkerSteps.run(trainer, afterOne.withoutSlots(), false, sortedSamples(), 0, plan, 2, 2, true);
        assertTrue(away.slotsRestarted());
        TrainState zeroSlots = new TrainState(afterOne.step(), afterOne.params(),
                new float[][]{new float[afterOne.params().length], new float[afterOne.params().length]}, afterOne.buffers());
        WorkerSteps.Result fresh = WorkerSteps.run(trainer, zeroSlots, sortedSamples(), 0, plan, 2, 2);
        assertFalse(fresh.slotsRestarted());
        assertTrue(away.state().sameAs(fresh.state()), "a restart is a step from zero slots");
        // A fresh run's first round sends no zeros: a state without slots that stands for zero slots is no restart,
        // whatever slots the pooled trainer held.
        WorkerSteps.Result firstRound = WorkerSteps.train(trainer,
                WorkerSteps.load(trainer, afterOne.withoutSlots(), false, true), sortedSamples(), 0, plan, 2, 2, true);
        assertFalse(firstRound.slotsRestarted());
        assertTrue(firstRound.state().sameAs(fresh.state()));
        assertTrue(zeroSlots.slotsAreZero());
        assertFalse(afterOne.slotsAreZero());
        RoundSum sum = RoundSum.of(List.of(away), 64 << 20);
        assertEquals(1, sum.slotRestarts());
    }

    @Test
    void aRunInitialisedFromOurCheckpointStartsFromItsParametersWithZeroSlots() throws Exception {
        RunSpec spec = RunSpec.of(config());
        TrainSettings ts = spec.train();
        var plan = new WorkerSteps.Plan(ts.seed(), 2, 12, 6, ts.schedule(12, 2), ts.augment());
        var trained = new SegmentationTrainer(spec.model(), ts.loss(), ts.optimizer(), 2, ts.seed(), null);
        TrainState after = WorkerSteps.run(trained, trained.state(), sortedSamples(), 0, plan, 0, 2).state();
        assertFalse(after.slotsAreZero(), "two steps of momentum");
        java.nio.file.Path file = dir.resolve("init-from.safetensors");
        dev.medseg.model.train.ModelCheckpoint.write(file, trained.params(), trained.buffers(), after, java.util.Map.of());

        var fresh = new SegmentationTrainer(spec.model(), ts.loss(), ts.optimizer(), 2, ts.seed() + 1, null);
        WorkerSteps.run(fresh, fresh.state(), sortedSamples(), 0, plan, 0, 1); // a pooled trainer's slots are not zero
        TrainJob.Init init = TrainJob.initialState(fresh, file.toString(), "");
        assertEquals(0, init.state().slots().length, "the initial state travels without its (zero) slots");
        assertEquals(0, init.state().step());
        assertArrayEquals(after.params(), init.state().params());
        assertArrayEquals(after.buffers(), init.state().buffers());
        assertTrue(fresh.state().slotsAreZero(), "a run starts a new optimizer");
    }

    private static List<SliceSample> sortedSamples() {
        List<SliceSample> sorted = new ArrayList<>(trainSamples);
        sorted.sort(Comparator.comparing(SliceSample::key));
        return sorted;
    }

    @Test
    void aRetriedTaskGivesTheSameParameters() {
        Config c = config("train.workers=2", "train.maxRounds=2", "train.valSplit=\"\"");
        TrainJob.Outcome clean = train(c, dir.resolve("clean"), false);
        spark.sparkContext().setLocalProperty(TestHooks.FAIL_TASK, "1:2"); // worker 1, round starting at step 2
        TrainJob.Outcome retried;
        try {
            retried = train(c, dir.resolve("retried"), false);
        } finally {
            spark.sparkContext().setLocalProperty(TestHooks.FAIL_TASK, null);
        }
        assertTrue(clean.state().sameAs(retried.state()), "retry changed the result by " + clean.state().maxParamDifference(retried.state()));
    }

    @Test
    void workersAveragingAmongThemselvesGiveTheDriversResult() {
        // Checkpoints and validations every third round: rounds 0, 1, 3 and 4 of 6 (0 and 1 of 4 with three workers)
        // leave their state on the executors.
        for (List<String> o : List.of(List.of("train.workers=2"), List.of("train.workers=3"),
                List.of("train.workers=2", "train.averageOptimizerState=false", "train.exchangePieceSize=64k"))) {
            List<String> keys = new ArrayList<>(o);
            keys.addAll(List.of("train.epochs=4", "train.checkpointEvery=3", "train.validateEvery=3"));
            String name = String.join("-", o).replaceAll("[^a-zA-Z0-9]+", "_");
            List<String> driver = new ArrayList<>(keys);
            driver.add("train.exchange=driver");
            TrainJob.Outcome viaDriver = train(config(driver.toArray(String[]::new)), dir.resolve("driver-" + name), false);
            keys.add("train.exchange=peers");
            int before = spark.sparkContext().newRddId();
            List<String> lines = new ArrayList<>();
            Path run = dir.resolve("peers-" + name);
            TrainJob.Outcome viaPeers = new TrainJob(spark, config(keys.toArray(String[]::new)), data.toString(),
                    run.toString(), lines::add).run(false);
            assertTrue(viaDriver.state().sameAs(viaPeers.state()), o + ": max diff " + viaDriver.state().maxParamDifference(viaPeers.state()));
            assertEquals(viaDriver.bestScores().iou(), viaPeers.bestScores().iou(), 0, o.toString());
            var rounds = ResultTables.read(spark, ResultTable.TRAIN_ROUNDS, List.of(run.toString())).orderBy("round")
                    .collectAsList().stream().map(TrainRound::fromRow).toList();
            assertEquals(viaDriver.rounds(), rounds.size());
            assertTrue(rounds.size() >= 4);
            for (int r = 0; r < rounds.size(); r++) {
                assertEquals(2L * (r + 1), rounds.get(r).iteration(), "a round the driver did not see still has its step");
                assertTrue(Double.isFinite(rounds.get(r).loss()) && rounds.get(r).stateFetchSeconds() >= 0, rounds.get(r).toString());
            }
            assertTrue(lines.stream().noneMatch(l -> l.contains("restarted") || l.contains("lost")), String.join("\n", lines));
            // Nothing of the exchange stays on the executors.
            var left = spark.sparkContext().env().blockManager().getMatchingBlockIds(new scala.runtime.AbstractFunction1<
                    org.apache.spark.storage.BlockId, Object>() {
                @Override
                public Object apply(org.apache.spark.storage.BlockId b) {
                    return b.asRDDId().isDefined() && b.asRDDId().get().rddId() > before;
                }
            });
            assertTrue(left.isEmpty(), "blocks left behind: " + left);
        }
    }

    @Test
    void aLostWorkerStateIsTrainedAgainFromTheDriversLastState() {
        Config c = config("train.workers=2", "train.epochs=4", "train.exchange=peers", "train.checkpointEvery=3",
                "train.validateEvery=3");
        TrainJob.Outcome whole = train(c, dir.resolve("peers-whole"), false);
        // Round 2 (steps 4-5) starts from what round 1 left: worker 1's state is gone. The driver holds no state yet
        // (rounds 0 and 1 left theirs), so the run starts again from the beginning. Then round 4 loses worker 0's,
        // and the run goes back to round 2's state.
        List<String> lines = new ArrayList<>();
        Path run = dir.resolve("peers-lost");
        TrainJob.Outcome recovered;
        try {
            spark.sparkContext().setLocalProperty(TestHooks.LOSE_LEFT_STATE, "1:4");
            recovered = new TrainJob(spark, c, data.toString(), run.toString(), l -> {
                lines.add(l);
                if (l.startsWith("round 3/")) spark.sparkContext().setLocalProperty(TestHooks.LOSE_LEFT_STATE, "0:8");
            }).run(false);
        } finally {
            spark.sparkContext().setLocalProperty(TestHooks.LOSE_LEFT_STATE, null);
        }
        assertTrue(whole.state().sameAs(recovered.state()), "max diff " + whole.state().maxParamDifference(recovered.state()));
        List<String> lost = lines.stream().filter(l -> l.contains("was lost")).toList();
        assertEquals(2, lost.size(), String.join("\n", lines));
        assertTrue(lost.get(0).contains("after round 2") && lost.get(0).contains("from the start"), lost.get(0));
        assertTrue(lost.get(1).contains("after round 4") && lost.get(1).contains("from round 3's state"), lost.get(1));
        var rounds = ResultTables.read(spark, ResultTable.TRAIN_ROUNDS, List.of(run.toString())).collectAsList();
        assertEquals(whole.rounds(), rounds.size(), "train_rounds must hold each round once");
    }

    @Test
    void resumeEqualsUninterrupted() {
        Config full = config("train.workers=2");
        TrainJob.Outcome whole = train(full, dir.resolve("whole"), false);
        Path run = dir.resolve("resumed");
        train(config("train.workers=2", "train.maxRounds=2"), run, false);
        TrainJob.Outcome resumed = train(config("train.workers=2"), run, true);
        assertTrue(whole.state().sameAs(resumed.state()), "resumed differs by " + whole.state().maxParamDifference(resumed.state()));
        assertNotNull(resumed.bestScores(), "a resumed run still reports its best validation scores");
        assertEquals(whole.bestScores().dice(), resumed.bestScores().dice(), 1e-12);
        var runs = ResultTables.read(spark, ResultTable.RUNS, List.of(run.toString())).collectAsList();
        assertEquals(1, runs.size());
        assertEquals("succeeded", runs.get(0).getString(runs.get(0).fieldIndex("status")));
        var rounds = ResultTables.read(spark, ResultTable.TRAIN_ROUNDS, List.of(run.toString())).collectAsList();
        assertEquals(whole.rounds(), rounds.size(), "train_rounds must hold each round once");
    }

    @Test
    void badInputFailsBeforeAnyOutput() {
        Path run = dir.resolve("bad");
        var e1 = assertThrows(UserError.class, () -> new TrainJob(spark, config(), dir.resolve("nowhere").toString(),
                run.toString(), l -> {}).run(false));
        assertTrue(e1.getMessage().contains("nowhere"), e1.getMessage());
        var e2 = assertThrows(UserError.class, () -> train(config("train.trainSplit=test"), run, false));
        assertTrue(e2.getMessage().contains("no rows in split 'test'"), e2.getMessage());
        var e3 = assertThrows(UserError.class, () -> train(config("model.imageSize=64"), run, false));
        assertTrue(e3.getMessage().contains("32x32 slices but model.imageSize is 64"), e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class, () -> train(config("model.numClasses=3"), run, false));
        assertTrue(e4.getMessage().contains("bce-dice needs model.numClasses = 1"), e4.getMessage());
        var e5 = assertThrows(UserError.class, () -> train(config("train.loss=ce-dice", "model.numClasses=2",
                "train.dataset=phantom"), run, true));
        assertTrue(e5.getMessage().contains("resolved.conf"), e5.getMessage());
        Path block = dir.resolve("wrong-block.safetensors");
        assertEquals(0, dev.medseg.job.cli.Medseg.commandLine().execute("llm", "random", "--dim", "16", "--heads", "4",
                "--ffn", "32", "--output", block.toString()));
        var e6 = assertThrows(UserError.class, () -> train(config("model.llm.enabled=true", "model.llm.dim=16",
                "model.llm.heads=4", "model.llm.kvHeads=4", "model.llm.ffnDim=24", "model.llm.checkpoint=" + block), run, false));
        assertTrue(e6.getMessage().contains("feed_forward.w1.weight") && e6.getMessage().contains("needs [24, 16]"), e6.getMessage());
        assertFalse(Files.exists(run), "nothing may be written for bad input");
    }
}
