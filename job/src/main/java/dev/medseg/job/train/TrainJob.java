package dev.medseg.job.train;

import com.typesafe.config.Config;
import dev.medseg.job.cli.UserError;
import dev.medseg.job.config.ConfigLoader;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.RunRecord;
import dev.medseg.job.tables.TrainRound;
import dev.medseg.model.ModelConfig;
import dev.medseg.model.StateDict;
import dev.medseg.model.VitNpzImporter;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.io.TensorSources;
import dev.medseg.model.train.ModelCheckpoint;
import dev.medseg.model.train.ParamLayout;
import dev.medseg.model.train.SegmentationTrainer;
import dev.medseg.model.train.TrainState;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The {@code train} job: synchronous parameter averaging of a SameDiff model on Spark.
 *
 * <p>Slices are dealt to {@code workers} partitions and cached. Each round the driver broadcasts the trainable
 * state (parameters, optimizer slots, BatchNorm buffers — never the frozen LLM block, which each executor loads
 * once); every worker task loads it into the graph its executor keeps, trains {@code averagingFrequency} steps on
 * its own batches and leaves its state cached on its executor in pieces; the driver gathers the mean one piece at a
 * time ({@code treeAggregate} per piece, see {@link StatePieces}). With {@code train.exchange = peers} (the
 * default) that is only for the rounds whose state the driver needs (checkpoints, validation, the end); in the
 * others the workers leave their states on their executors and the next round's workers average them themselves
 * ({@link PeerExchange}).
 * Every input of a task is a function of its start state and (seed, worker, step), so a retried task returns the
 * same result, a run resumed from a checkpoint continues exactly as an uninterrupted one, and a run that lost the
 * workers' states with an executor trains again from the driver's last state to the same result.
 */
public final class TrainJob {
    private static final Logger log = LoggerFactory.getLogger(TrainJob.class);
    /** Times in a row the run goes back to the driver's state after losing the workers' (train.exchange = peers). */
    static final int MAX_RECOVERIES = 3;

    /** What a run produced. */
    public record Outcome(String runId, int rounds, long iterations, TrainState state, double lastLoss,
                          Validation.Scores bestScores, String runDir) {}

    private final SparkSession spark;
    private final Config config;
    private final String dataDir;
    private final RunDirectory run;
    private final Consumer<String> progress;

    public TrainJob(SparkSession spark, Config config, String dataDir, String runDir, Consumer<String> progress) {
        this.spark = spark;
        this.config = config;
        this.dataDir = dataDir;
        this.run = new RunDirectory(runDir, spark.sparkContext().hadoopConfiguration());
        this.progress = progress;
    }

    /**
     * Trains. With {@code resume}, continues from the newest complete checkpoint of the run folder (whose
     * resolved.conf must equal this config); without, the folder must be new or empty.
     */
    public Outcome run(boolean resume) {
        RunSpec spec = RunSpec.of(config);
        ModelConfig model = spec.model();
        TrainSettings ts = spec.train();
        ts.loss().checkClasses(model.numClasses());
        if (model.llm().isPresent() && !spec.llmCheckpoint().isEmpty() && isLocal(spec.llmCheckpoint())) {
            // A block that does not fit the config must stop the run here, not in every executor's first task.
            try {
                String loc = spec.llmCheckpoint();
                Path local = loc.startsWith("file:") ? Path.of(java.net.URI.create(loc)) : Path.of(loc);
                dev.medseg.model.LlmWeights.check(local, spec.llmLayer(), model.llm().get());
            } catch (dev.medseg.model.io.CheckpointFormatException e) {
                throw new UserError("model.llm.checkpoint: " + e.getMessage(), e);
            }
        }
        String configText = ConfigLoader.render(config);
        if (resume) {
            String saved = run.readText(RunDirectory.CONFIG).orElseThrow(() ->
                    new UserError("--resume: " + run.location() + " has no " + RunDirectory.CONFIG + " (not a training run)"));
            if (!sameRecipe(savedRecipe(saved), config)) {
                throw new UserError("--resume: the config differs from " + run.location() + "/" + RunDirectory.CONFIG
                        + "; resume with the run's own config (--conf " + run.location() + "/" + RunDirectory.CONFIG + ")");
            }
        } else if (run.hasContent()) {
            throw new UserError("run directory " + run.location() + " is not empty: choose a new --output or add --resume");
        }

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // Everything about the data is checked before any output is written.
        Dataset<Row> table = SliceData.table(spark, dataDir);
        String dataset = SliceData.dataset(table, ts.dataset(), dataDir);
        JavaRDD<SliceSample> train = SliceData.dealt(SliceData.samples(table, dataset, ts.trainSplit(), model, dataDir), ts.workers());
        long trainCount = train.count();
        JavaRDD<SliceSample> val = null;
        if (!ts.valSplit().isEmpty() && hasSplit(table, dataset, ts.valSplit())) {
            val = SliceData.samples(table, dataset, ts.valSplit(), model, dataDir);
            val.persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        }
        long perStep = (long) ts.workers() * ts.batchSizePerWorker();
        long itersPerEpoch = Math.max(1, (trainCount + perStep - 1) / perStep);
        long totalIters = ts.epochs() * itersPerEpoch;
        int totalRounds = (int) Math.min(Integer.MAX_VALUE, (totalIters + ts.averagingFrequency() - 1) / ts.averagingFrequency());
        if (ts.maxRounds() > 0) totalRounds = Math.min(totalRounds, ts.maxRounds());
        WorkerSteps.Plan plan = new WorkerSteps.Plan(ts.seed(), ts.batchSizePerWorker(), totalIters, itersPerEpoch,
                ts.schedule(totalIters, ts.epochs()), ts.augment());
        progress.accept(String.format("train: %s/%s %d slices on %d worker(s), batch %d per worker, %d step(s) per epoch, "
                        + "%d epochs = %d steps, averaging every %d: %d rounds", dataset, ts.trainSplit(), trainCount,
                ts.workers(), ts.batchSizePerWorker(), itersPerEpoch, ts.epochs(), totalIters, ts.averagingFrequency(), totalRounds));

        if (model.llm().isPresent() && spec.llmCheckpoint().isEmpty()) {
            progress.accept("train: warning: model.llm.checkpoint is empty, so the frozen LLM block has random weights "
                    + "(fine for demos and tests; for the paper's models extract LLaMA layer 31, see README)");
        }
        // Build (or load) the model on an executor: that is where the frozen block lives.
        Init init = initialise(jsc, spec, ts);
        // Only the layouts are kept: the initial state is as large as the model and the loop replaces it.
        ParamLayout paramLayout = init.params(), bufferLayout = init.buffers();
        TrainState state = init.state();
        init = null;
        int firstRound = 0;
        double best = Double.NEGATIVE_INFINITY;
        Validation.Scores bestScores = null;
        String runId = Path.of(run.location()).getFileName().toString();
        Instant started = Instant.now();
        if (resume) {
            List<Integer> rounds = run.checkpointRounds();
            if (rounds.isEmpty()) throw new UserError("--resume: " + run.location() + " has no complete checkpoint yet");
            int last = rounds.get(rounds.size() - 1);
            ModelCheckpoint.Contents c = run.readCheckpoint(RunDirectory.roundName(last), paramLayout, bufferLayout);
            state = c.state();
            firstRound = last + 1;
            best = Double.parseDouble(c.metadata().getOrDefault("best_metric", "-Infinity"));
            bestScores = bestScoresOf(paramLayout, bufferLayout);
            started = originalStart(runId).orElse(started);
            dropRoundsAfter(runId, last);
            progress.accept("train: resuming after round " + last + " (step " + state.step() + ")");
        } else {
            run.writeText(RunDirectory.CONFIG, configText);
        }
        writeRun(runId, dataset, model, configText, started, null, "running");

        Broadcast<TrainState> current = null;
        // With train.exchange = peers: what the previous round left on the executors (null: the driver has the state).
        PeerExchange.Left left = null;
        // Ids of rounds that failed after leaving blocks: a task Spark did not stop may store more after the removal.
        List<Integer> abandoned = new ArrayList<>();
        int held = firstRound - 1; // the last round whose state the driver holds in `state`
        int leaves = 0; // rounds that left their state on the executors: their parity picks the workers' state files
        int recoveries = 0;
        double lastLoss = Double.NaN;
        long t0 = System.nanoTime();
        try {
            for (int round = firstRound; round < totalRounds; round++) {
                long roundStart = System.nanoTime();
                RoundStart start;
                if (left != null) {
                    start = new RoundStart.FromPeers(left);
                } else {
                    // A fresh run's optimizer slots are zeros (its initial state carries none): its first round sends
                    // the parameters alone and the workers start their slots from zero (0.42 GB less per executor for
                    // TransUNet's momentum, 0.84 for Adam's). A resumed run's first round sends the checkpoint's slots.
                    boolean slotsFromZero = round == firstRound && ts.optimizer().slots() > 0
                            && (state.slots().length == 0 || state.slotsAreZero());
                    current = jsc.broadcast(slotsFromZero ? state.withoutSlots() : state);
                    start = new RoundStart.FromBroadcast(current, slotsFromZero);
                }
                long first = (long) round * ts.averagingFrequency();
                jsc.setJobDescription(String.format("medseg train: round %d/%d (steps %d-%d)", round + 1, totalRounds,
                        first, Math.min(totalIters, first + ts.averagingFrequency()) - 1));
                boolean gather = ts.gathersSlots(round, totalRounds, val != null);
                StatePieces layout = layoutOf(paramLayout, bufferLayout, ts, gather);
                boolean leave = ts.leavesStateOnExecutors(round, totalRounds, val != null);
                int id = leave ? PeerExchange.newId(spark.sparkContext()) : -1;
                int slot = leave && ts.exchangeFiles() && PeerExchange.stateFilesHelp(spark.sparkContext()) ? leaves % 2 : -1;
                if (leave) leaves++;
                RoundSum sum;
                try {
                    sum = leave ? leaveRound(train, start, spec, plan, first, ts.averagingFrequency(), gather, layout, id, slot)
                            : trainRound(train, start, spec, plan, first, ts.averagingFrequency(), gather, layout);
                } catch (Exception e) { // a SparkException too, checked but undeclared
                    if (leave) abandoned.add(id);
                    if (left == null || !PeerExchange.lostState(e) || ++recoveries > MAX_RECOVERIES) throw e;
                    // An executor with a worker's state of the previous round was lost: train again from the last
                    // state the driver holds (every round since is a function of it: the same result).
                    progress.accept(String.format("train: a worker's state after round %d was lost with its executor; "
                            + "training again from %s", round, held >= firstRound ? "round " + (held + 1) + "'s state"
                            : firstRound == 0 ? "the start" : "the checkpoint it resumed from"));
                    log.warn("round {}: the previous round's state is gone, going back to round {}", round + 1, held + 1, e);
                    PeerExchange.removeQuietly(spark.sparkContext(), left.id(), e);
                    left = null;
                    dropRoundsAfter(runId, held);
                    round = held; // the loop's increment starts again at held + 1
                    continue;
                }
                if (left != null) PeerExchange.remove(spark.sparkContext(), left.id()); // every worker has its mean
                left = null;
                if (current != null) current.destroy();
                current = null;
                if (leave) {
                    left = sum.left();
                } else {
                    state = sum.average();
                    held = round;
                    recoveries = 0;
                }
                double wall = (System.nanoTime() - roundStart) / 1e9;
                lastLoss = sum.meanLoss();
                if (!Double.isFinite(lastLoss)) {
                    throw new IllegalStateException("training diverged at round " + round + " (loss " + lastLoss
                            + "); lower train.optimizer.lr. The last good checkpoint is kept.");
                }
                long iteration = sum.step();
                int epoch = plan.epochOf(Math.max(0, iteration - 1));
                appendRound(new TrainRound(runId, round, epoch, iteration, lastLoss, plan.lr(first),
                        sum.images() / wall, sum.maxComputeSeconds(), Math.max(0, wall - sum.maxComputeSeconds()), sum.workers(),
                        sum.maxStateFetchSeconds()));

                Validation.Scores scores = null;
                if (val != null && ts.validatesAfter(round, totalRounds)) {
                    jsc.setJobDescription("medseg train: validation after round " + (round + 1));
                    Broadcast<TrainState> b = jsc.broadcast(state);
                    scores = Validation.run(val, b, spec, paramLayout, bufferLayout, model.numClasses());
                    b.destroy();
                    double m = scores.metric(ts.bestMetric());
                    if (Double.isFinite(m) && m > best) {
                        best = m;
                        bestScores = scores;
                        writeCheckpoint(ts, RunDirectory.BEST, paramLayout, bufferLayout, state,
                                metadata(round, epoch, best, scores));
                    }
                }
                if (ts.checkpointsAfter(round, totalRounds)) {
                    writeCheckpoint(ts, RunDirectory.roundName(round), paramLayout, bufferLayout, state,
                            metadata(round, epoch, best, scores));
                    run.prune(ts.keepCheckpoints());
                }
                double elapsed = (System.nanoTime() - t0) / 1e9;
                int doneRounds = round - firstRound + 1;
                double eta = elapsed / doneRounds * (totalRounds - round - 1);
                progress.accept(String.format("round %d/%d  epoch %d/%d  step %d  loss %.4f  lr %.3g  %.2f img/s  "
                                + "compute %.1fs comm %.1fs (state fetch %.1fs)%s%s  ETA %s", round + 1, totalRounds, epoch + 1,
                        ts.epochs(), iteration, lastLoss, plan.lr(first), sum.images() / wall, sum.maxComputeSeconds(),
                        Math.max(0, wall - sum.maxComputeSeconds()), sum.maxStateFetchSeconds(),
                        scores == null ? "" : String.format("  val %s %.4f", ts.bestMetric(), scores.metric(ts.bestMetric())),
                        sum.slotRestarts() == 0 ? "" : String.format("  optimizer state restarted from zero on %d worker(s)"
                                + " (their tasks ran where their slots were not)", sum.slotRestarts()),
                        duration(eta)));
            }
            writeCheckpoint(ts, RunDirectory.FINAL, paramLayout, bufferLayout, state,
                    metadata(totalRounds - 1, plan.epochOf(Math.max(0, state.step() - 1)), best, bestScores));
            writeRun(runId, dataset, model, configText, started, Instant.now(), "succeeded");
            return new Outcome(runId, totalRounds, state.step(), state, lastLoss, bestScores, run.location());
        } catch (Exception e) { // a SparkException too, checked but undeclared
            writeRun(runId, dataset, model, configText, started, Instant.now(), "failed");
            throw e;
        } finally {
            if (current != null) current.destroy();
            if (left != null) PeerExchange.removeQuietly(spark.sparkContext(), left.id(), null);
            for (int id : abandoned) PeerExchange.removeQuietly(spark.sparkContext(), id, null);
            train.unpersist(false);
            if (val != null) val.unpersist(false);
        }
    }

    /** Writes a checkpoint of a whole state: one without the optimizer slots is a bug in choosing gather rounds. */
    private void writeCheckpoint(TrainSettings ts, String name, ParamLayout paramLayout, ParamLayout bufferLayout,
                                 TrainState state, Map<String, String> metadata) {
        if (state.slots().length != ts.optimizer().slots()) {
            throw new IllegalStateException("checkpoint " + name + " of a state with " + state.slots().length
                    + " optimizer slots, the optimizer keeps " + ts.optimizer().slots());
        }
        run.writeCheckpoint(name, paramLayout, bufferLayout, state, metadata);
    }

    /**
     * One round: every worker trains on its partition from the round's start state and leaves its result, cut into the
     * pieces of {@code layout}, cached on its executor; then the driver gathers the workers' mean piece by piece
     * (a {@code treeAggregate} per piece; the first one runs the training). With {@code gatherSlots} false the
     * workers send back no optimizer slots (they keep their own for the next round).
     */
    static RoundSum trainRound(JavaRDD<SliceSample> train, RoundStart start, RunSpec spec, WorkerSteps.Plan plan,
                               long first, int steps, boolean gatherSlots, StatePieces layout) {
        JavaRDD<StatePiece> pieces = train.mapPartitionsWithIndex((Integer worker, Iterator<SliceSample> it) ->
                StatePiece.all(workerSteps(worker, it, start, spec, plan, first, steps, gatherSlots), layout).iterator(), true);
        // Memory first, disk if the executor's storage memory is short: losing the cache would mean training again.
        pieces.persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        try {
            return PieceGather.gather(pieces, layout);
        } catch (Exception e) { // SparkException, checked but undeclared
            throw ExecutorModels.explainTaskFailure(e); // a replacement executor with less memory refuses here
        } finally {
            // Blocking: the next round's broadcast must not arrive on an executor that still holds this state.
            pieces.unpersist(true);
        }
    }

    /**
     * One round of {@code train.exchange = peers} whose state the driver does not need: every worker trains and
     * leaves its result on its executor for the next round's workers ({@link PeerExchange}); the driver collects
     * only what the steps did. {@code id}: the round's blocks' RDD id ({@link PeerExchange#newId}); {@code slot}:
     * which of its two state files each worker writes as well (-1: none).
     */
    static RoundSum leaveRound(JavaRDD<SliceSample> train, RoundStart start, RunSpec spec, WorkerSteps.Plan plan,
                               long first, int steps, boolean gatherSlots, StatePieces layout, int id, int slot) {
        SparkContext sc = train.context();
        try {
            List<PeerExchange.Deposit> deposits = train.mapPartitionsWithIndex((Integer worker, Iterator<SliceSample> it) ->
                    List.of(PeerExchange.leave(workerSteps(worker, it, start, spec, plan, first, steps, gatherSlots),
                            layout, id, slot)).iterator(), true).collect();
            Map<Integer, StatePiece.Stats> byWorker = new java.util.TreeMap<>();
            Map<Integer, PeerExchange.Copy> copies = new java.util.TreeMap<>();
            for (PeerExchange.Deposit d : deposits) {
                byWorker.put(d.stats().worker(), d.stats());
                if (d.copy() != null) copies.put(d.stats().worker(), d.copy());
            }
            return RoundSum.leftOnExecutors(new PeerExchange.Left(id, layout, byWorker, copies));
        } catch (Exception e) { // SparkException, checked but undeclared
            PeerExchange.removeQuietly(sc, id, e); // what the workers that finished left
            throw ExecutorModels.explainTaskFailure(e);
        }
    }

    /** A worker's task: its samples, its start state, its steps. */
    private static WorkerSteps.Result workerSteps(int worker, Iterator<SliceSample> it, RoundStart start, RunSpec spec,
                                                  WorkerSteps.Plan plan, long first, int steps, boolean gatherSlots) {
        List<SliceSample> samples = new ArrayList<>();
        it.forEachRemaining(samples::add);
        samples.sort(java.util.Comparator.comparing(SliceSample::key));
        TestHooks.maybeFail(worker, first);
        long t0 = System.nanoTime();
        WorkerSteps.Result r = ExecutorModels.withTrainerOf(spec, worker, first,
                (t, ownsSlots) -> WorkerSteps.train(t, start.load(t, ownsSlots), samples, worker, plan, first, steps, gatherSlots));
        start.release(); // before the result's serialization, the executor's peak
        // In the executor's log: where a worker's share of the round's communication goes.
        log.info("worker {} steps {}-{}: state fetched in {} s, loaded and trained in {} s, task so far {} s", worker,
                first, first + r.steps() - 1, String.format("%.2f", r.stateFetchSeconds()), String.format("%.2f", r.computeSeconds()),
                String.format("%.2f", (System.nanoTime() - t0) / 1e9));
        return r;
    }

    /** How the state of a round is cut for its trip back: with or without the optimizer slots. */
    static StatePieces layoutOf(ParamLayout params, ParamLayout buffers, TrainSettings ts, boolean gatherSlots) {
        return new StatePieces(params.length(), gatherSlots ? ts.optimizer().slots() : 0,
                buffers.length(), (int) Math.max(1, ts.exchangePieceBytes() / Float.BYTES));
    }

    /** The initial state and layouts, made where the model lives (an executor). */
    record Init(TrainState state, ParamLayout params, ParamLayout buffers) implements Serializable {}

    private Init initialise(JavaSparkContext jsc, RunSpec spec, TrainSettings ts) {
        String initFile = ts.init();
        String npz = spec.config().getString("model.vitCheckpoint").trim();
        jsc.setJobDescription("medseg train: build the model and its initial weights");
        try {
            return jsc.parallelize(List.of(0), 1)
                    .map(x -> ExecutorModels.withFreshTrainer(spec, t -> initialState(t, initFile, npz)))
                    .collect().get(0);
        } catch (Exception e) { // SparkException, checked but undeclared
            throw ExecutorModels.explainTaskFailure(e);
        }
    }

    /**
     * The state training starts from: the graph's seeded initialisation, overwritten by {@code train.init} (a
     * reference .pth state dict, or our checkpoint's parameters and buffers) or by the ImageNet-21k npz; without
     * optimizer slots, which start at zero.
     */
    static Init initialState(SegmentationTrainer t, String initFile, String npz) {
        if (!initFile.isEmpty()) {
            Path file = ExecutorModels.localCopy(initFile);
            boolean ours = file.getFileName().toString().endsWith(".safetensors")
                    && ModelCheckpoint.FORMAT.equals(ModelCheckpoint.metadata(file).get(ModelCheckpoint.FORMAT_KEY));
            if (ours) {
                TrainState s = ModelCheckpoint.read(file, t.params(), t.buffers()).state();
                t.loadKeepingSlots(new TrainState(0, s.params(), new float[0][], s.buffers()));
                t.resetSlots(); // a new optimizer: its slots start at zero
            } else {
                try (TensorSource src = TensorSources.open(file)) {
                    StateDict.load(t.graph(), src);
                }
            }
        } else if (!npz.isEmpty()) {
            try (TensorSource src = TensorSources.open(ExecutorModels.localCopy(npz))) {
                VitNpzImporter.load(t.graph(), src, VitNpzImporter.Mode.STRICT);
            }
        }
        // Without the optimizer slots: they are zeros, and as a task result they would cost the executor up to three
        // serialized copies (a 4 GB executor ran out of heap returning TransUNet's 0.84 GB state with its momentum).
        return new Init(t.stateWithoutSlots(), t.params(), t.buffers());
    }

    /** The validation scores recorded in best.safetensors, if there is one (a resumed run keeps reporting them). */
    private Validation.Scores bestScoresOf(ParamLayout paramLayout, ParamLayout bufferLayout) {
        if (!run.hasCheckpoint(RunDirectory.BEST)) return null;
        Map<String, String> m = run.readCheckpoint(RunDirectory.BEST, paramLayout, bufferLayout).metadata();
        if (!m.containsKey("val_dice")) return null;
        return new Validation.Scores(Double.parseDouble(m.get("val_dice")), Double.parseDouble(m.getOrDefault("val_iou", "NaN")),
                new double[0]);
    }

    /** When the run first started, from its runs row (a resumed run keeps it). */
    private java.util.Optional<Instant> originalStart(String runId) {
        if (!ResultTables.exists(spark, run.location(), ResultTable.RUNS)) return java.util.Optional.empty();
        return ResultTables.read(spark, ResultTable.RUNS, List.of(run.location())).collectAsList().stream()
                .map(RunRecord::fromRow).filter(r -> r.runId().equals(runId)).map(RunRecord::startedAt).findFirst();
    }

    private static boolean isLocal(String location) {
        return !location.contains(":/") || location.startsWith("file:");
    }

    /**
     * Keys a resumed run may change: they do not alter the training trajectory. Except that, when workers keep their
     * own optimizer slots, the validation and checkpoint rounds are the rounds that average them.
     */
    static final List<String> OPERATIONAL = List.of("train.maxRounds", "train.validateEvery", "train.checkpointEvery",
            "train.keepCheckpoints", "train.exchangePieceSize", "train.exchange", "train.exchangeFiles");

    /**
     * A run's saved {@code resolved.conf} over today's defaults: a run saved before a key existed (model.llm.storage,
     * say) ran with that key's default value, and resuming it must not count the new key as a change.
     */
    static Config savedRecipe(String saved) {
        return com.typesafe.config.ConfigFactory.parseString(saved).withFallback(ConfigLoader.defaults());
    }

    static boolean sameRecipe(Config a, Config b) {
        Config x = a, y = b;
        boolean localSlots = keepsLocalSlots(a) || keepsLocalSlots(b);
        for (String k : OPERATIONAL) {
            if (localSlots && (k.equals("train.validateEvery") || k.equals("train.checkpointEvery"))) continue;
            x = x.withoutPath(k);
            y = y.withoutPath(k);
        }
        return x.root().unwrapped().equals(y.root().unwrapped());
    }

    private static boolean keepsLocalSlots(Config c) {
        return c.hasPath("train.averageOptimizerState") && !c.getBoolean("train.averageOptimizerState");
    }

    private static boolean hasSplit(Dataset<Row> table, String dataset, String split) {
        return !table.where(org.apache.spark.sql.functions.col("dataset").equalTo(dataset)
                .and(org.apache.spark.sql.functions.col("split").equalTo(split))).limit(1).isEmpty();
    }

    private Map<String, String> metadata(int round, int epoch, double best, Validation.Scores scores) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("round", Integer.toString(round));
        m.put("epoch", Integer.toString(epoch));
        m.put("best_metric", Double.toString(best));
        if (scores != null) {
            m.put("val_dice", Double.toString(scores.dice()));
            m.put("val_iou", Double.toString(scores.iou()));
        }
        m.put("config", ConfigLoader.render(config));
        m.put("code_version", dev.medseg.job.cli.Versions.medseg());
        return m;
    }

    private void appendRound(TrainRound r) {
        ResultTables.append(spark, run.location(), ResultTable.TRAIN_ROUNDS, List.of(r));
    }

    private void dropRoundsAfter(String runId, int round) {
        if (!ResultTables.exists(spark, run.location(), ResultTable.TRAIN_ROUNDS)) return;
        List<TrainRound> keep = ResultTables.read(spark, ResultTable.TRAIN_ROUNDS, List.of(run.location()))
                .where(org.apache.spark.sql.functions.col("round").leq(round)).collectAsList()
                .stream().map(TrainRound::fromRow).toList();
        ResultTables.overwrite(spark, run.location(), ResultTable.TRAIN_ROUNDS, keep);
    }

    private void writeRun(String runId, String dataset, ModelConfig model, String configText, Instant started,
                          Instant ended, String status) {
        String name = model.llm().isPresent() ? "llm-transunet" : "transunet";
        ResultTables.overwrite(spark, run.location(), ResultTable.RUNS, List.of(new RunRecord(runId, name, dataset,
                configText, dev.medseg.job.cli.Versions.medseg(), started, ended, status)));
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s % 3600 / 60) : String.format("%dm%02ds", s / 60, s % 60);
    }
}
