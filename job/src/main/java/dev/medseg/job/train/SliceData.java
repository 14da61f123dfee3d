package dev.medseg.job.train;

import dev.medseg.data.slices.SliceSchema;
import dev.medseg.job.cli.UserError;
import dev.medseg.model.ModelConfig;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * Reads slice shards for training and validation and checks them against the model before any work starts: the
 * dataset and split exist and have rows, slices have the model's size and channels, labels fit its classes.
 */
public final class SliceData {
    private SliceData() {}

    /** The slices table of a prep output (its {@code slices/} folder, or the folder itself). */
    public static Dataset<Row> table(SparkSession spark, String dataDir) {
        String root = dataDir.replaceAll("/+$", "");
        org.apache.hadoop.fs.Path slices = new org.apache.hadoop.fs.Path(root, "slices");
        try {
            var fs = slices.getFileSystem(spark.sparkContext().hadoopConfiguration());
            String dir = fs.exists(slices) ? slices.toString() : root;
            if (!fs.exists(new org.apache.hadoop.fs.Path(dir))) {
                throw new UserError("--data " + dataDir + ": no such directory (expected the output of `medseg prep`)");
            }
            Dataset<Row> table = spark.read().parquet(dir);
            checkColumns(table.schema(), dataDir);
            return table;
        } catch (UserError e) {
            throw e;
        } catch (Exception e) { // Scala's AnalysisException is checked in Java's eyes but never declared
            if (e instanceof java.io.IOException || e instanceof org.apache.spark.sql.AnalysisException) {
                throw new UserError("--data " + dataDir + ": no slice shards found ("
                        + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")", e);
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
    }

    /**
     * Refuses a table whose columns are not {@link SliceSchema}'s (missing, renamed or of another type): shards
     * of another prep version or tool would otherwise fail later as a Spark analysis error or a ClassCastException
     * inside a task. Extra columns are allowed; nullability is not compared (Parquet reads every column nullable).
     */
    static void checkColumns(StructType actual, String dataDir) {
        List<String> problems = new ArrayList<>();
        for (StructField expected : SliceSchema.schema().fields()) {
            if (!Arrays.asList(actual.fieldNames()).contains(expected.name())) {
                problems.add("no column " + expected.name() + (SliceSchema.PARTITION_COLUMNS.contains(expected.name())
                        ? " (shards must sit in dataset=NAME/split=SPLIT folders)" : ""));
                continue;
            }
            String found = actual.apply(expected.name()).dataType().catalogString();
            if (!found.equals(expected.dataType().catalogString())) {
                problems.add("column " + expected.name() + " is " + found + ", expected " + expected.dataType().catalogString());
            }
        }
        if (!problems.isEmpty()) {
            throw new UserError("--data " + dataDir + ": not slice shards this build reads (" + SliceSchema.VERSION + "): "
                    + String.join("; ", problems) + "; re-run `medseg prep`");
        }
    }

    /** A (channels, height, width) that rows of a split have. */
    public record Shape(int channels, int height, int width) {}

    /**
     * Checks the rows of one split before any work, in one pass: they exist, carry this build's prep version,
     * positive sizes, and images (and {@code labelColumn}, when not null: uint8 height x width) of exactly the
     * bytes their sizes declare. Returns the split's distinct shapes; every refusal is a {@link UserError} naming
     * {@code dataDir} and, for a damaged row, its case and slice.
     */
    public static List<Shape> checkSplit(Dataset<Row> rows, String dataset, String split, String labelColumn, String dataDir) {
        String where = dataDir + ": " + dataset + "/" + split;
        Column c = functions.col(SliceSchema.CHANNELS).cast("long");
        Column h = functions.col(SliceSchema.HEIGHT).cast("long");
        Column w = functions.col(SliceSchema.WIDTH).cast("long");
        Column image = functions.col(SliceSchema.IMAGE);
        Column badImage = image.isNull().or(functions.length(image).cast("long").notEqual(c.multiply(h).multiply(w).multiply(4)));
        Column badLabel = functions.lit(false);
        if (labelColumn != null) {
            Column label = functions.col(labelColumn);
            badLabel = label.isNotNull().and(functions.length(label).cast("long").notEqual(h.multiply(w)));
        }
        Column labelBytes = labelColumn == null ? functions.lit(0) : functions.length(functions.col(labelColumn));
        List<Row> groups;
        try {
            // per shape: rows, and the first (case, slice, bytes) whose image or label bytes disagree with it
            groups = rows.groupBy(SliceSchema.CHANNELS, SliceSchema.HEIGHT, SliceSchema.WIDTH, SliceSchema.PREP_VERSION)
                    .agg(functions.count(functions.lit(1)),
                            functions.min(functions.when(badImage, firstBad(functions.length(image)))),
                            functions.min(functions.when(badLabel, firstBad(labelBytes))))
                    .collectAsList();
        } catch (Exception e) { // a file whose columns disagree with the table's schema fails in a task
            if (e instanceof org.apache.spark.SparkException) {
                throw new UserError(where + ": cannot read the slice shards (" + rootMessage(e) + "); re-run `medseg prep`", e);
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
        if (groups.isEmpty()) {
            throw new UserError("dataset " + dataset + " has no rows in split '" + split + "' under " + dataDir);
        }
        List<Shape> shapes = new ArrayList<>();
        for (Row r : groups) {
            String version = r.getString(3);
            if (!SliceSchema.VERSION.equals(version)) {
                throw new UserError(dataDir + ": slices written with prep version '" + version + "', this build reads "
                        + SliceSchema.VERSION + "; re-run `medseg prep`");
            }
            Shape s = new Shape(r.getInt(0), r.getInt(1), r.getInt(2));
            if (s.channels() <= 0 || s.height() <= 0 || s.width() <= 0) {
                throw new UserError(where + " has slices of " + s.channels() + " channel(s) of " + s.height() + "x"
                        + s.width() + ": not a slice size; re-run `medseg prep`");
            }
            if (!r.isNullAt(5)) {
                Row bad = r.getStruct(5);
                throw new UserError(where + " case " + bad.getString(0) + " slice " + bad.getInt(1) + ": image has "
                        + (bad.isNullAt(2) ? "no" : bad.getInt(2)) + " bytes, expected " + 4L * s.channels() * s.height() * s.width()
                        + " for (" + s.channels() + ", " + s.height() + ", " + s.width() + ") float32; the shards are damaged "
                        + "or not from `medseg prep`");
            }
            if (!r.isNullAt(6)) {
                Row bad = r.getStruct(6);
                throw new UserError(where + " case " + bad.getString(0) + " slice " + bad.getInt(1) + ": " + labelColumn
                        + " has " + bad.getInt(2) + " bytes, expected " + (long) s.height() * s.width() + " for ("
                        + s.height() + ", " + s.width() + ") uint8; the shards are damaged or not from `medseg prep`");
            }
            shapes.add(s);
        }
        return shapes;
    }

    private static Column firstBad(Column bytes) {
        return functions.struct(functions.col(SliceSchema.CASE_ID), functions.col(SliceSchema.SLICE_INDEX), bytes);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        return String.valueOf(root.getMessage()).lines().findFirst().orElse(root.getClass().getSimpleName());
    }

    /** Picks the dataset: the configured one, or the only one present. */
    public static String dataset(Dataset<Row> table, String configured, String dataDir) {
        List<String> present = table.select(SliceSchema.DATASET).distinct().collectAsList().stream()
                .map(r -> r.getString(0)).sorted().toList();
        if (present.isEmpty()) throw new UserError("--data " + dataDir + ": the slice table is empty");
        if (configured.isEmpty()) {
            if (present.size() > 1) {
                throw new UserError("--data " + dataDir + " holds datasets " + present + ": choose one with train.dataset=NAME");
            }
            return present.get(0);
        }
        if (!present.contains(configured)) {
            throw new UserError("train.dataset=" + configured + " is not in " + dataDir + " (it holds " + present + ")");
        }
        return configured;
    }

    /**
     * The labelled slices of one split as samples, after checking them against the model. Fails with a
     * {@link UserError} when the split is empty or a slice does not fit.
     */
    public static JavaRDD<SliceSample> samples(Dataset<Row> table, String dataset, String split, ModelConfig model,
                                               String dataDir) {
        Dataset<Row> rows = table.where(col(SliceSchema.DATASET).equalTo(dataset).and(col(SliceSchema.SPLIT).equalTo(split)));
        for (Shape s : checkSplit(rows, dataset, split, SliceSchema.LABEL, dataDir)) {
            int c = s.channels(), h = s.height(), w = s.width();
            if (h != model.imageSize() || w != model.imageSize()) {
                throw new UserError(dataset + "/" + split + " has " + h + "x" + w + " slices but model.imageSize is "
                        + model.imageSize() + "; re-run prep with prep.imageSize=" + model.imageSize() + " or set model.imageSize");
            }
            if (c != model.inChannels()) {
                throw new UserError(dataset + "/" + split + " has " + c + "-channel images but model.inChannels is "
                        + model.inChannels());
            }
        }
        int numClasses = model.numClasses();
        JavaRDD<SliceSample> samples = rows.select(SliceSchema.CASE_ID, SliceSchema.SLICE_INDEX, SliceSchema.CHANNELS,
                        SliceSchema.HEIGHT, SliceSchema.WIDTH, SliceSchema.IMAGE, SliceSchema.LABEL)
                .javaRDD().map(r -> {
                    String where = dataset + "/" + split + " case " + r.getString(0) + " slice " + r.getInt(1);
                    if (r.isNullAt(6)) throw new IllegalArgumentException(where + ": unlabelled slice in a training split");
                    int c = r.getInt(2), h = r.getInt(3), w = r.getInt(4);
                    float[] image = SliceSchema.decodeImage(r.getAs(5), c, h, w, where);
                    byte[] label = SliceSchema.checkLabel(r.getAs(6), h, w, where);
                    return new SliceSample(r.getString(0), r.getInt(1), image, label);
                });
        // Class ids beyond the model's classes would fail mid-training: find them now (binary models take any id > 0).
        if (numClasses > 1) {
            int maxId = samples.map(s -> {
                int m = 0;
                for (byte b : s.label()) m = Math.max(m, b & 0xFF);
                return m;
            }).fold(0, Math::max);
            if (maxId >= numClasses) {
                throw new UserError(dataset + "/" + split + " has label id " + maxId + " but model.numClasses is "
                        + numClasses + " (class ids must be < numClasses; check the dataset's label map and model.numClasses)");
            }
        }
        return samples;
    }

    /**
     * Deals samples to {@code workers} partitions deterministically: sorted by (case, slice), sample i goes to
     * worker i mod workers. Persisted, since every round reads them.
     */
    public static JavaRDD<SliceSample> dealt(JavaRDD<SliceSample> samples, int workers) {
        JavaPairRDD<String, SliceSample> keyed = samples.keyBy(SliceSample::key).sortByKey();
        JavaRDD<SliceSample> out = keyed.values().zipWithIndex()
                .mapToPair(t -> new Tuple2<>((int) (t._2() % workers), t._1()))
                .partitionBy(new WorkerPartitioner(workers))
                .values();
        out.persist(StorageLevel.MEMORY_AND_DISK());
        return out;
    }

    /** Partition i holds worker i's samples. */
    static final class WorkerPartitioner extends org.apache.spark.Partitioner {
        private final int workers;

        WorkerPartitioner(int workers) { this.workers = workers; }

        @Override public int numPartitions() { return workers; }

        @Override public int getPartition(Object key) { return (Integer) key; }

        @Override public boolean equals(Object o) { return o instanceof WorkerPartitioner p && p.workers == workers; }

        @Override public int hashCode() { return workers; }
    }
}
