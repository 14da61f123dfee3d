package dev.medseg.job.evaluate;

import dev.medseg.job.tables.PredictionRecord;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * {@code predict}: writes a trained run's predicted masks for a split at native resolution, one file per case
 * ({@code <case>.nii.gz} for 3-D volumes, {@code <case>.png} for 2-D images), plus the {@code predictions} table
 * (one row per slice, compressed masks) under the output folder. Inference is exactly {@code evaluate}'s.
 */
public final class PredictJob {
    private final SparkSession spark;
    private final Consumer<String> progress;

    /**
     * What to predict.
     *
     * @param runDir     the training run folder
     * @param dataDir    the prep output (slice shards)
     * @param split      the split
     * @param checkpoint best, final, a checkpoint file, or null (best if present, else final)
     * @param outputDir  where masks and the table go
     * @param overrides  config overrides applied to the run's resolved.conf
     */
    public record Request(String runDir, String dataDir, String split, String checkpoint, String outputDir,
                          List<String> overrides) {
        /** Checks and copies. */
        public Request {
            Objects.requireNonNull(runDir, "runDir");
            Objects.requireNonNull(dataDir, "dataDir");
            Objects.requireNonNull(split, "split");
            Objects.requireNonNull(outputDir, "outputDir");
            overrides = List.copyOf(overrides);
        }
    }

    /**
     * The result.
     *
     * @param runId      the run's id
     * @param dataset    the dataset
     * @param checkpoint the checkpoint used
     * @param cases      cases in the split
     * @param written    mask files written
     * @param problems   "case: problem" of each case not predicted, sorted by case
     * @param outputDir  where the outputs are
     */
    public record Outcome(String runId, String dataset, String checkpoint, long cases, List<String> written,
                          List<String> problems, String outputDir) {
    }

    /** A job on {@code spark} reporting progress lines to {@code progress}. */
    public PredictJob(SparkSession spark, Consumer<String> progress) {
        this.spark = spark;
        this.progress = progress;
    }

    /** Runs the prediction. */
    public Outcome run(Request request) {
        TrainedRun run = TrainedRun.open(spark, request.runDir(), request.checkpoint(), request.overrides());
        SplitSlices slices = SplitSlices.ofRun(spark, run, request.dataDir(), request.split());
        String dataset = slices.dataset();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        TrainedRun.Loaded loaded = run.load(spark);
        progress.accept(String.format("predict: run %s, checkpoint %s, %s/%s: %d cases into %s", run.runId(),
                loaded.checkpoint(), dataset, request.split(), slices.cases(), request.outputDir()));
        jsc.setJobDescription("medseg predict: " + dataset + "/" + request.split());
        JavaRDD<PredictOutcome> outcomes = slices.rows().javaRDD().mapPartitions(new CasePredictor(loaded.inference(),
                run.runId(), dataset, run.model().numClasses(), request.outputDir()));
        outcomes.persist(StorageLevel.MEMORY_AND_DISK());
        try {
            ResultTables.write(spark.createDataFrame(outcomes.flatMap(o -> o.rows().iterator()), PredictionRecord.SCHEMA),
                    request.outputDir(), ResultTable.PREDICTIONS, SaveMode.Overwrite);
            List<PredictOutcome> light = outcomes.map(o -> new PredictOutcome(o.caseId(), List.of(), o.file(), o.problem()))
                    .collect().stream().sorted(Comparator.comparing(PredictOutcome::caseId)).toList();
            List<String> written = light.stream().filter(o -> o.file() != null).map(PredictOutcome::file).toList();
            List<String> problems = light.stream().filter(o -> o.problem() != null)
                    .map(o -> o.caseId() + ": " + o.problem()).toList();
            progress.accept(String.format("predict: wrote %d of %d cases into %s", written.size(), light.size(),
                    request.outputDir()));
            return new Outcome(run.runId(), dataset, loaded.checkpoint(), slices.cases(), written, problems,
                    request.outputDir());
        } finally {
            outcomes.unpersist(false);
            loaded.inference().state().destroy();
        }
    }
}
