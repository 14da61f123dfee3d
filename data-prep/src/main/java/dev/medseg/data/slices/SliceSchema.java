package dev.medseg.data.slices;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.List;

/**
 * The slice shard schema: the one contract between {@code prep} (writer) and {@code train}/{@code evaluate}
 * (readers). One row is one model-ready 2-D slice: a 2-D image, or one axial slice of a 3-D volume.
 * Shards live under {@code <root>/slices/dataset=<name>/split=<split>/part-*.parquet}, so {@code dataset} and
 * {@code split} are partition columns (directories), not stored in the files.
 *
 * <p>Pixel encodings are compact and language-neutral so that Python can read them with numpy:
 * {@code image} is float32 little-endian, C-order (channels, height, width);
 * {@code label} is uint8 (height, width) with class ids; {@code label_native} is uint8 at the original
 * (height, width) before resampling, kept for validation and test rows so evaluation can score at the native grid.
 *
 * <p>Change {@link #VERSION} whenever a column's meaning changes; readers refuse versions they do not know.
 */
public final class SliceSchema {
    /** Stored in every row's {@value #PREP_VERSION} column. */
    public static final String VERSION = "slices/1";

    public static final String DATASET = "dataset";
    public static final String SPLIT = "split";
    public static final String CASE_ID = "case_id";
    public static final String SLICE_INDEX = "slice_index";
    public static final String NUM_SLICES = "num_slices";
    public static final String CHANNELS = "channels";
    public static final String HEIGHT = "height";
    public static final String WIDTH = "width";
    public static final String IMAGE = "image";
    public static final String LABEL = "label";
    public static final String LABEL_NATIVE = "label_native";
    public static final String SPACING = "spacing";
    public static final String ORIGINAL_HEIGHT = "original_height";
    public static final String ORIGINAL_WIDTH = "original_width";
    public static final String SOURCE_IMAGE = "source_image";
    public static final String SOURCE_LABEL = "source_label";
    public static final String PREP_VERSION = "prep_version";

    /** The partition columns, in directory order. */
    public static final List<String> PARTITION_COLUMNS = List.of(DATASET, SPLIT);

    private SliceSchema() {}

    /** The full schema, partition columns included (as Spark reports it when reading the root). */
    public static StructType schema() {
        return new StructType(new StructField[]{
                field(DATASET, DataTypes.StringType, false, "dataset name (partition column), e.g. synapse, isic2017"),
                field(SPLIT, DataTypes.StringType, false, "train | val | test | holdout | unlabelled (partition column)"),
                field(CASE_ID, DataTypes.StringType, false, "case id, unique within the dataset (volume or 2-D image)"),
                field(SLICE_INDEX, DataTypes.IntegerType, false, "axial slice index in canonical orientation; 0 for 2-D"),
                field(NUM_SLICES, DataTypes.IntegerType, false, "slices in the case (1 for 2-D), to reassemble volumes"),
                field(CHANNELS, DataTypes.IntegerType, false, "image channels C (1 gray, 3 RGB)"),
                field(HEIGHT, DataTypes.IntegerType, false, "stored height H after resampling"),
                field(WIDTH, DataTypes.IntegerType, false, "stored width W after resampling"),
                field(IMAGE, DataTypes.BinaryType, false, "float32 little-endian (C,H,W), intensity-normalised"),
                field(LABEL, DataTypes.BinaryType, true, "uint8 (H,W) class ids after the label map; null if unlabelled"),
                field(LABEL_NATIVE, DataTypes.BinaryType, true,
                        "uint8 (original_height, original_width) class ids at native resolution; val/test rows only"),
                field(SPACING, DataTypes.createArrayType(DataTypes.DoubleType, false), false,
                        "native voxel spacing (row, column, slice) in mm; (1, 1, 1) for 2-D"),
                field(ORIGINAL_HEIGHT, DataTypes.IntegerType, false, "height before resampling"),
                field(ORIGINAL_WIDTH, DataTypes.IntegerType, false, "width before resampling"),
                field(SOURCE_IMAGE, DataTypes.StringType, false, "image file the slice came from"),
                field(SOURCE_LABEL, DataTypes.StringType, true, "label file(s), ';'-separated; null if unlabelled"),
                field(PREP_VERSION, DataTypes.StringType, false, "schema version, " + VERSION),
        });
    }

    /** The schema of the Parquet files themselves: {@link #schema()} without the partition columns. */
    public static StructType fileSchema() {
        StructType all = schema();
        return new StructType(java.util.Arrays.stream(all.fields())
                .filter(f -> !PARTITION_COLUMNS.contains(f.name())).toArray(StructField[]::new));
    }

    /** Encodes pixels as the {@value #IMAGE} column stores them (float32 little-endian). */
    public static byte[] encodeImage(float[] chw) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(Math.multiplyExact(chw.length, 4)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(chw);
        return b.array();
    }

    /**
     * Decodes an {@value #IMAGE} value, checking its length against the row's declared shape so a corrupt or
     * foreign shard fails with a clear message instead of training on garbage.
     */
    public static float[] decodeImage(byte[] bytes, int channels, int height, int width, String where) {
        long expected = 4L * channels * height * width;
        if (bytes == null || bytes.length != expected) {
            throw new IllegalArgumentException(where + ": image has " + (bytes == null ? "no" : bytes.length)
                    + " bytes, expected " + expected + " for (" + channels + ", " + height + ", " + width + ") float32");
        }
        float[] out = new float[channels * height * width];
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** Checks a {@value #LABEL} value's length against the row's declared shape. */
    public static byte[] checkLabel(byte[] bytes, int height, int width, String where) {
        if (bytes == null || bytes.length != (long) height * width) {
            throw new IllegalArgumentException(where + ": label has " + (bytes == null ? "no" : bytes.length)
                    + " bytes, expected " + (long) height * width + " for (" + height + ", " + width + ") uint8");
        }
        return bytes;
    }

    private static StructField field(String name, org.apache.spark.sql.types.DataType type, boolean nullable, String doc) {
        return new StructField(name, type, nullable, Metadata.empty()).withComment(doc);
    }
}
