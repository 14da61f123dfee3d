package dev.medseg.it;

import dev.medseg.data.slices.SliceSchema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * Slice shards as another prep version, another tool or a damaged copy might leave them: each {@link Variant} is a
 * prep output root ({@code ROOT/slices/dataset=phantom/split=test/part-*.parquet}) that differs from
 * {@link SliceSchema} in one way. Rows are small (32x32, one channel, 2 cases of 2 slices), so writing all of them
 * with Spark local mode takes a few seconds.
 */
final class ForeignShards {
    static final String DATASET = "phantom";
    /** The split every variant holds; the readers under test read it. */
    static final String SPLIT = "test";
    static final int SIDE = 32;
    static final int ROWS = 4;

    private ForeignShards() {}

    /** One column as written: its type and its value in row i. */
    record Column(DataType type, IntFunction<Object> value) {}

    /**
     * One bad root. {@code mention} is what the refusal must say besides the root (the column, the version, the
     * case); {@code labelsOnly} marks variants only the training reader sees (it reads {@code label}, evaluation
     * reads {@code label_native}).
     */
    record Variant(String name, String mention, boolean labelsOnly, Consumer<Map<String, Column>> change) {
        /** The variant's root under {@code dir}, written on first use. */
        Path writeUnder(SparkSession spark, Path dir) {
            Path root = dir.resolve(name);
            if (!java.nio.file.Files.exists(root)) {
                if (besideSoundSplit()) {
                    Map<String, Column> train = sound();
                    set(train, SliceSchema.SPLIT, i -> "train");
                    write(spark, root, train);
                }
                Map<String, Column> t = sound();
                change.accept(t);
                write(spark, root, t);
            }
            return root;
        }

        /** Whether a sound train split sits beside the changed test split (files of two schemas under one root). */
        boolean besideSoundSplit() {
            return name.contains("beside");
        }
    }

    /** Every variant, each against the sound table of {@link #sound()}. */
    static List<Variant> variants() {
        return List.of(
                new Variant("prep version slices-0", "slices/0", false, t -> set(t, SliceSchema.PREP_VERSION, i -> "slices/0")),
                new Variant("prep version slices-99 ü 数据", "slices/99", false, t -> set(t, SliceSchema.PREP_VERSION, i -> "slices/99")),
                new Variant("no prep_version column", SliceSchema.PREP_VERSION, false, t -> t.remove(SliceSchema.PREP_VERSION)),
                new Variant("image renamed pixels", SliceSchema.IMAGE, false, t -> t.put("pixels", t.remove(SliceSchema.IMAGE))),
                new Variant("image as a float list", SliceSchema.IMAGE, false, t -> t.put(SliceSchema.IMAGE,
                        new Column(DataTypes.createArrayType(DataTypes.FloatType, false), i -> floats(image(i))))),
                new Variant("height as bigint", SliceSchema.HEIGHT, false, t -> t.put(SliceSchema.HEIGHT,
                        new Column(DataTypes.LongType, i -> (long) SIDE))),
                new Variant("spacing as a string", SliceSchema.SPACING, false, t -> t.put(SliceSchema.SPACING,
                        new Column(DataTypes.StringType, i -> "1,1,1"))),
                new Variant("no partition folders", SliceSchema.DATASET, false, t -> {
                    t.remove(SliceSchema.DATASET);
                    t.remove(SliceSchema.SPLIT);
                }),
                // every row claims 32x32 but holds a 16x16 image
                new Variant("images smaller than height x width", "4096", false, t -> set(t, SliceSchema.IMAGE,
                        i -> java.util.Arrays.copyOf(image(i), 4 * 16 * 16))),
                // one damaged row among sound ones: the refusal names it
                new Variant("one image cut short", "case1 slice 1", false, t -> set(t, SliceSchema.IMAGE,
                        i -> i == 3 ? java.util.Arrays.copyOf(image(i), 4 * SIDE * SIDE - 3) : image(i))),
                new Variant("negative height and width", "-32", false, t -> {
                    set(t, SliceSchema.HEIGHT, i -> -SIDE);
                    set(t, SliceSchema.WIDTH, i -> -SIDE);
                }),
                // 4 * 65536^3 overflows int and long arithmetic done carelessly
                new Variant("overflowing dimensions", "65536", false, t -> {
                    set(t, SliceSchema.CHANNELS, i -> 65536);
                    set(t, SliceSchema.HEIGHT, i -> 65536);
                    set(t, SliceSchema.WIDTH, i -> 65536);
                }),
                // Spark takes the table schema from one file: the other split's files disagree with it
                new Variant("test split of float-list images beside a sound train split", SliceSchema.IMAGE, false,
                        t -> t.put(SliceSchema.IMAGE, new Column(DataTypes.createArrayType(DataTypes.FloatType, false),
                                i -> floats(image(i))))),
                new Variant("label shorter than height x width", "label", true, t -> set(t, SliceSchema.LABEL,
                        i -> new byte[SIDE * SIDE - 1])));
    }

    /** The sound table: the columns of {@link SliceSchema#schema()} with plausible values. */
    static Map<String, Column> sound() {
        Map<String, Column> t = new LinkedHashMap<>();
        t.put(SliceSchema.DATASET, new Column(DataTypes.StringType, i -> DATASET));
        t.put(SliceSchema.SPLIT, new Column(DataTypes.StringType, i -> SPLIT));
        t.put(SliceSchema.CASE_ID, new Column(DataTypes.StringType, i -> "case" + i / 2));
        t.put(SliceSchema.SLICE_INDEX, new Column(DataTypes.IntegerType, i -> i % 2));
        t.put(SliceSchema.NUM_SLICES, new Column(DataTypes.IntegerType, i -> 2));
        t.put(SliceSchema.CHANNELS, new Column(DataTypes.IntegerType, i -> 1));
        t.put(SliceSchema.HEIGHT, new Column(DataTypes.IntegerType, i -> SIDE));
        t.put(SliceSchema.WIDTH, new Column(DataTypes.IntegerType, i -> SIDE));
        t.put(SliceSchema.IMAGE, new Column(DataTypes.BinaryType, ForeignShards::image));
        t.put(SliceSchema.LABEL, new Column(DataTypes.BinaryType, ForeignShards::label));
        t.put(SliceSchema.LABEL_NATIVE, new Column(DataTypes.BinaryType, ForeignShards::label));
        t.put(SliceSchema.SPACING, new Column(DataTypes.createArrayType(DataTypes.DoubleType, false),
                i -> List.of(1.0, 1.0, 2.5)));
        t.put(SliceSchema.ORIGINAL_HEIGHT, new Column(DataTypes.IntegerType, i -> SIDE));
        t.put(SliceSchema.ORIGINAL_WIDTH, new Column(DataTypes.IntegerType, i -> SIDE));
        t.put(SliceSchema.SOURCE_IMAGE, new Column(DataTypes.StringType, i -> "synthetic/case" + i / 2 + ".nii.gz"));
        t.put(SliceSchema.SOURCE_LABEL, new Column(DataTypes.StringType, i -> "synthetic/case" + i / 2 + "_seg.nii.gz"));
        t.put(SliceSchema.PREP_VERSION, new Column(DataTypes.StringType, i -> SliceSchema.VERSION));
        return t;
    }

    /** Writes {@code table} under {@code root/slices}, partitioned by dataset and split where those columns exist. */
    static void write(SparkSession spark, Path root, Map<String, Column> table) {
        StructType schema = new StructType(table.entrySet().stream()
                .map(e -> new StructField(e.getKey(), e.getValue().type(), true, org.apache.spark.sql.types.Metadata.empty()))
                .toArray(StructField[]::new));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            int row = i;
            rows.add(RowFactory.create(table.values().stream().map(c -> c.value().apply(row)).toArray()));
        }
        String[] partitions = SliceSchema.PARTITION_COLUMNS.stream().filter(table::containsKey).toArray(String[]::new);
        spark.createDataFrame(rows, schema).coalesce(1).write().mode("append").partitionBy(partitions)
                .parquet(root.resolve("slices").toString());
    }

    /** Slice i's image: float32 little-endian, a ramp so rows differ. */
    static byte[] image(int i) {
        float[] px = new float[SIDE * SIDE];
        for (int k = 0; k < px.length; k++) px[k] = (k % SIDE + i) / (float) SIDE;
        return SliceSchema.encodeImage(px);
    }

    /** Slice i's label: class 1 in the left half. */
    static byte[] label(int i) {
        byte[] l = new byte[SIDE * SIDE];
        for (int k = 0; k < l.length; k++) l[k] = (byte) (k % SIDE < SIDE / 2 ? 1 : 0);
        return l;
    }

    private static List<Float> floats(byte[] image) {
        float[] f = SliceSchema.decodeImage(image, 1, SIDE, SIDE, "sound image");
        List<Float> out = new ArrayList<>(f.length);
        for (float v : f) out.add(v);
        return out;
    }

    private static void set(Map<String, Column> t, String name, IntFunction<Object> value) {
        t.put(name, new Column(t.get(name).type(), value));
    }
}
