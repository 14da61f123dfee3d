package dev.medseg.job.evaluate;

import dev.medseg.data.slices.SliceSchema;
import dev.medseg.job.eval.Overlays;
import dev.medseg.job.eval.TrainingCurves;
import dev.medseg.job.tables.CaseMetricRecord;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.Summaries;
import dev.medseg.model.metrics.EmptyMaskRule;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * {@code evaluate}: scores a trained run's checkpoint on a split, distributed over the executors. Each case is
 * predicted slice by slice, reassembled at native resolution and scored per class on the whole volume (3-D) or
 * image (2-D), with TransUNet's empty-mask rule. Writes {@code case_metrics} and the paper-layout summaries under
 * the output folder, overlay PNGs of the worst cases under {@code overlays/} and the run's training curves.
 */
public final class EvaluateJob {
    /** The folder of the overlay pictures, under the output folder. */
    public static final String OVERLAYS = "overlays";
    /** The training-curve picture, under the output folder. */
    public static final String CURVES = "training_curves.png";

    private final SparkSession spark;
    private final Consumer<String> progress;

    /**
     * What to evaluate.
     *
     * @param runDir     the training run folder
     * @param dataDir    the prep output (slice shards)
     * @param split      the split to score
     * @param checkpoint best, final, a checkpoint file, or null (best if present, else final)
     * @param overlays   how many worst cases to draw (0: none)
     * @param outputDir  where tables and pictures go; null for the run folder
     * @param overrides  config overrides (key=value) applied to the run's resolved.conf
     */
    public record Request(String runDir, String dataDir, String split, String checkpoint, int overlays,
                          String outputDir, List<String> overrides) {
        /** Checks and copies. */
        public Request {
            Objects.requireNonNull(runDir, "runDir");
            Objects.requireNonNull(dataDir, "dataDir");
            Objects.requireNonNull(split, "split");
            overrides = List.copyOf(overrides);
            if (overlays < 0) {
                throw new IllegalArgumentException("overlays must be >= 0, got " + overlays);
            }
        }

        /** Where the outputs go. */
        public String output() {
            return outputDir != null ? outputDir : runDir;
        }
    }

    /**
     * The result.
     *
     * @param runId      the run's id
     * @param dataset    the dataset scored
     * @param checkpoint the checkpoint used
     * @param cases      cases in the split
     * @param problems   "case: problem" of each case that could not be scored, sorted by case
     * @param summaries  the summary tables
     * @param pictures   the pictures written (paths under the output folder)
     * @param outputDir  where the outputs are
     */
    public record Outcome(String runId, String dataset, String checkpoint, long cases, List<String> problems,
                          List<Summaries.Summary> summaries, List<String> pictures, String outputDir) {
    }

    /** A job on {@code spark} reporting progress lines to {@code progress}. */
    public EvaluateJob(SparkSession spark, Consumer<String> progress) {
        this.spark = spark;
        this.progress = progress;
    }

    /** Runs the evaluation. */
    public Outcome run(Request request) {
        TrainedRun run = TrainedRun.open(spark, request.runDir(), request.checkpoint(), request.overrides());
        SplitSlices slices = SplitSlices.ofRun(spark, run, request.dataDir(), request.split());
        String dataset = slices.dataset();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        TrainedRun.Loaded loaded = run.load(spark);
        EvalOptions options = new EvalOptions(run.runId(), dataset, request.split(), run.model().numClasses(),
                ClassNames.of(dataset, run.scoredClasses()), EmptyMaskRule.TRANSUNET);
        progress.accept(String.format("evaluate: run %s, checkpoint %s, %s/%s: %d cases", run.runId(), loaded.checkpoint(),
                dataset, request.split(), slices.cases()));

        String out = request.output();
        jsc.setJobDescription("medseg evaluate: predict and score " + dataset + "/" + request.split());
        JavaRDD<CaseOutcome> outcomes = slices.rows().javaRDD()
                .mapPartitions(new CaseEvaluator(loaded.inference(), options));
        outcomes.persist(StorageLevel.MEMORY_AND_DISK());
        try {
            ResultTables.write(spark.createDataFrame(outcomes.flatMap(o -> o.rows().iterator()), CaseMetricRecord.SCHEMA),
                    out, ResultTable.CASE_METRICS, SaveMode.Overwrite);
            List<CaseOutcome> light = outcomes.map(o -> new CaseOutcome(o.caseId(), List.of(), o.meanDice(),
                    o.overlaySlice(), o.problem())).collect();
            Dataset<Row> metrics = ResultTables.read(spark, ResultTable.CASE_METRICS, List.of(out));
            List<Summaries.Summary> summaries = Summaries.compute(metrics);
            Summaries.write(spark, summaries, out);
            List<String> problems = light.stream().filter(o -> o.problem() != null)
                    .sorted(Comparator.comparing(CaseOutcome::caseId))
                    .map(o -> o.caseId() + ": " + o.problem()).toList();
            List<String> pictures = new ArrayList<>(overlays(run, loaded.inference(), slices, light, request.overlays(), out));
            String curves = curves(run, request.runDir(), out);
            if (curves != null) {
                pictures.add(curves);
            }
            progress.accept(String.format("evaluate: scored %d of %d cases; tables under %s", light.size() - problems.size(),
                    light.size(), out));
            return new Outcome(run.runId(), dataset, loaded.checkpoint(), slices.cases(), problems, summaries, pictures, out);
        } finally {
            outcomes.unpersist(false);
            loaded.inference().state().destroy();
        }
    }

    /** Draws the {@code n} scored cases with the lowest mean Dice (ties by case id); returns the files. */
    private List<String> overlays(TrainedRun run, InferenceModel model, SplitSlices slices, List<CaseOutcome> cases, int n, String out) {
        List<CaseOutcome> worst = cases.stream().filter(o -> o.problem() == null && o.overlaySlice() >= 0)
                .sorted(Comparator.comparingDouble((CaseOutcome o) -> Double.isNaN(o.meanDice()) ? 2 : o.meanDice())
                        .thenComparing(CaseOutcome::caseId))
                .limit(n).toList();
        if (worst.isEmpty()) {
            return List.of();
        }
        Column chosen = lit(false);
        for (CaseOutcome o : worst) {
            chosen = chosen.or(col(SliceSchema.CASE_ID).equalTo(o.caseId()).and(col(SliceSchema.SLICE_INDEX).equalTo(o.overlaySlice())));
        }
        JavaSparkContext.fromSparkContext(spark.sparkContext()).setJobDescription("medseg evaluate: overlay pictures");
        List<OverlayPicture> pictures = slices.rows().where(chosen).javaRDD()
                .mapPartitions(new OverlayRenderer(model, run.model().numClasses())).collect();
        List<String> files = new ArrayList<>();
        String dir = new org.apache.hadoop.fs.Path(out, OVERLAYS).toString();
        for (int rank = 0; rank < worst.size(); rank++) {
            CaseOutcome o = worst.get(rank);
            OverlayPicture p = pictures.stream().filter(x -> x.caseId().equals(o.caseId())).findFirst().orElse(null);
            if (p == null) {
                continue;
            }
            String name = String.format("worst-%02d-%s-z%03d.png", rank + 1, OutputFiles.safeName(o.caseId()), p.slice());
            OutputFiles.write(dir, name, spark.sparkContext().hadoopConfiguration(), path -> Overlays.write(path,
                    p.image(), p.channels(), p.width(), p.height(), p.reference(), p.prediction()));
            files.add(new org.apache.hadoop.fs.Path(dir, name).toString());
        }
        return files;
    }

    /** The run's training curves, if it has {@code train_rounds} rows; returns the file or null. */
    private String curves(TrainedRun run, String runDir, String out) {
        if (!ResultTables.exists(spark, runDir, ResultTable.TRAIN_ROUNDS)) {
            return null;
        }
        Dataset<Row> rounds = ResultTables.read(spark, ResultTable.TRAIN_ROUNDS, List.of(runDir));
        if (rounds.where(col("run_id").equalTo(run.runId())).isEmpty()) {
            return null;
        }
        OutputFiles.write(out, CURVES, spark.sparkContext().hadoopConfiguration(),
                path -> TrainingCurves.write(path, rounds, run.runId()));
        return new org.apache.hadoop.fs.Path(out, CURVES).toString();
    }
}
