package dev.medseg.job.evaluate;

import dev.medseg.data.slices.SliceSchema;
import dev.medseg.job.cli.UserError;
import dev.medseg.job.train.SliceData;
import dev.medseg.model.ModelConfig;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * The slices of one dataset split, checked against the model and laid out for per-case work: partitioned by
 * case id (all slices of a case meet in one task) and sorted by (case, slice) within each partition, so a task
 * can stream its cases one at a time. Columns are {@link #COLUMNS}, in that order.
 */
public final class SplitSlices {
    /** The columns a task reads, in row order (see the {@code *_COL} indices). */
    public static final List<String> COLUMNS = List.of(SliceSchema.CASE_ID, SliceSchema.SLICE_INDEX,
            SliceSchema.NUM_SLICES, SliceSchema.CHANNELS, SliceSchema.HEIGHT, SliceSchema.WIDTH, SliceSchema.IMAGE,
            SliceSchema.LABEL_NATIVE, SliceSchema.SPACING, SliceSchema.ORIGINAL_HEIGHT, SliceSchema.ORIGINAL_WIDTH,
            SliceSchema.SOURCE_IMAGE);
    static final int CASE_COL = 0;
    static final int SLICE_COL = 1;
    static final int NUM_SLICES_COL = 2;
    static final int CHANNELS_COL = 3;
    static final int HEIGHT_COL = 4;
    static final int WIDTH_COL = 5;
    static final int IMAGE_COL = 6;
    static final int LABEL_NATIVE_COL = 7;
    static final int SPACING_COL = 8;
    static final int ORIGINAL_HEIGHT_COL = 9;
    static final int ORIGINAL_WIDTH_COL = 10;
    static final int SOURCE_IMAGE_COL = 11;

    private final String dataset;
    private final Dataset<Row> rows;
    private final long cases;

    private SplitSlices(String dataset, Dataset<Row> rows, long cases) {
        this.dataset = dataset;
        this.rows = rows;
        this.cases = cases;
    }

    /**
     * The slices of {@code split} of the dataset a trained run was trained on ({@code train.dataset}, or the only
     * dataset under {@code dataDir}), checked against the run's model as {@link #of} does.
     */
    public static SplitSlices ofRun(SparkSession spark, TrainedRun run, String dataDir, String split) {
        Dataset<Row> table = SliceData.table(spark, dataDir);
        String dataset = SliceData.dataset(table, run.config().getString("train.dataset").trim(), dataDir);
        return of(table, dataset, split, run.model(), dataDir, spark.sparkContext().defaultParallelism());
    }

    /**
     * The rows of {@code dataset}/{@code split} of a slice table. Whole-split mismatches (no such split, another
     * prep version, slice size or channels other than the model's) and images whose bytes disagree with their
     * declared size (damaged or foreign shards, see {@link SliceData#checkSplit}) are {@link UserError}s. Other
     * per-case faults (native size, labels) are left to the tasks.
     */
    public static SplitSlices of(Dataset<Row> table, String dataset, String split, ModelConfig model, String dataDir,
                                 int defaultParallelism) {
        Dataset<Row> rows = table.where(col(SliceSchema.DATASET).equalTo(dataset).and(col(SliceSchema.SPLIT).equalTo(split)));
        // label_native is checked per case by CaseSlices: a case without it is reported, not fatal
        for (SliceData.Shape s : SliceData.checkSplit(rows, dataset, split, null, dataDir)) {
            int c = s.channels();
            int h = s.height();
            int w = s.width();
            if (h != model.imageSize() || w != model.imageSize()) {
                throw new UserError(dataset + "/" + split + " has " + h + "x" + w + " slices but the run's model.imageSize is "
                        + model.imageSize());
            }
            if (c != model.inChannels()) {
                throw new UserError(dataset + "/" + split + " has " + c + "-channel images but the run's model.inChannels is "
                        + model.inChannels());
            }
        }
        Dataset<Row> selected = rows.select(COLUMNS.stream().map(n -> col(n)).toArray(Column[]::new));
        long cases = selected.select(SliceSchema.CASE_ID).distinct().count();
        // a few tasks per core: cases differ a lot in size, and small tasks balance better
        int parts = (int) Math.max(1, Math.min(cases, 4L * Math.max(1, defaultParallelism)));
        Dataset<Row> laidOut = selected.repartition(parts, col(SliceSchema.CASE_ID))
                .sortWithinPartitions(SliceSchema.CASE_ID, SliceSchema.SLICE_INDEX);
        return new SplitSlices(dataset, laidOut, cases);
    }

    /** The dataset the slices belong to. */
    public String dataset() {
        return dataset;
    }

    /** The rows, partitioned by case and sorted by (case, slice) within partitions. */
    public Dataset<Row> rows() {
        return rows;
    }

    /** The number of distinct cases. */
    public long cases() {
        return cases;
    }
}
