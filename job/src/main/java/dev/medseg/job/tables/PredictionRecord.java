package dev.medseg.job.tables;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.ByteArrayOutputStream;
import java.util.Objects;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * One row of the {@code predictions} table: the predicted label map of one 2-D image or one slice of a volume,
 * on the case's native grid.
 *
 * @param runId       {@code run_id} string, not null: the run (see {@code runs})
 * @param dataset     {@code dataset} string, not null: dataset name
 * @param caseId      {@code case_id} string, not null: case id
 * @param sliceIndex  {@code slice_index} int, not null: axial slice index (z); 0 for 2-D images
 * @param height      {@code height} int, not null: rows H of the mask
 * @param width       {@code width} int, not null: columns W of the mask
 * @param mask        {@code mask} binary, not null: the predicted class ids as uint8, row-major (H, W), compressed
 *                    as one zlib stream (RFC 1950 deflate; Python: {@code np.frombuffer(zlib.decompress(m),
 *                    np.uint8).reshape(h, w)})
 * @param overlayPath {@code overlay_path} string, nullable: PNG overlay of image, reference and prediction, if
 *                    one was drawn
 */
public record PredictionRecord(String runId, String dataset, String caseId, int sliceIndex, int height, int width,
                               byte[] mask, String overlayPath) implements TableRecord {

    /** The table's schema, with each column's comment. */
    public static final StructType SCHEMA = new StructType(new StructField[]{
            Columns.field("run_id", DataTypes.StringType, false, "run id (see runs)"),
            Columns.field("dataset", DataTypes.StringType, false, "dataset name"),
            Columns.field("case_id", DataTypes.StringType, false, "case id"),
            Columns.field("slice_index", DataTypes.IntegerType, false, "axial slice index z; 0 for 2-D"),
            Columns.field("height", DataTypes.IntegerType, false, "mask rows H"),
            Columns.field("width", DataTypes.IntegerType, false, "mask columns W"),
            Columns.field("mask", DataTypes.BinaryType, false, "zlib-compressed uint8 class ids, row-major (H, W)"),
            Columns.field("overlay_path", DataTypes.StringType, true, "PNG overlay, if drawn"),
    });

    /** Checks the non-null columns and the shape. */
    public PredictionRecord {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(caseId, "caseId");
        Objects.requireNonNull(mask, "mask");
        if (sliceIndex < 0 || height < 1 || width < 1 || (long) height * width > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("bad slice " + sliceIndex + " or shape " + height + "x" + width
                    + " for case " + caseId);
        }
    }

    /** A row from uncompressed class ids ({@code ids.length == height * width}); compresses them. */
    public static PredictionRecord of(String runId, String dataset, String caseId, int sliceIndex, int height,
                                      int width, byte[] ids, String overlayPath) {
        if ((long) height * width != ids.length) {
            throw new IllegalArgumentException("mask of case " + caseId + " slice " + sliceIndex + " has "
                    + ids.length + " values, expected " + height + "x" + width);
        }
        return new PredictionRecord(runId, dataset, caseId, sliceIndex, height, width, compress(ids), overlayPath);
    }

    /**
     * The uncompressed class ids, row-major (H, W). A stream that inflates to more or fewer than H*W bytes, or is
     * not zlib, is a {@link ResultTableException}; output is never allocated beyond H*W.
     */
    public byte[] ids() {
        byte[] out = new byte[height * width];
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(mask);
            int n = 0;
            while (n < out.length && !inflater.finished()) {
                int k = inflater.inflate(out, n, out.length - n);
                if (k == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += k;
            }
            byte[] probe = new byte[1];
            boolean extra = !inflater.finished() && inflater.inflate(probe) > 0;
            if (n != out.length || extra || !inflater.finished()) {
                throw new ResultTableException("predictions: mask of case " + caseId + " slice " + sliceIndex
                        + " does not inflate to " + height + "x" + width + " bytes (got " + n
                        + (extra ? "+" : "") + ", stream " + (inflater.finished() ? "complete" : "truncated") + ")");
            }
            return out;
        } catch (DataFormatException e) {
            throw new ResultTableException("predictions: mask of case " + caseId + " slice " + sliceIndex
                    + " is not a zlib stream: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    @Override
    public ResultTable table() {
        return ResultTable.PREDICTIONS;
    }

    @Override
    public Row toRow() {
        return RowFactory.create(runId, dataset, caseId, sliceIndex, height, width, mask, overlayPath);
    }

    /** Reads a row of the {@code predictions} table (any column order); the mask stays compressed. */
    public static PredictionRecord fromRow(Row row) {
        String t = "predictions";
        return new PredictionRecord((String) Columns.required(row, "run_id", t),
                (String) Columns.required(row, "dataset", t), (String) Columns.required(row, "case_id", t),
                (Integer) Columns.required(row, "slice_index", t), (Integer) Columns.required(row, "height", t),
                (Integer) Columns.required(row, "width", t), (byte[]) Columns.required(row, "mask", t),
                Columns.string(row, "overlay_path"));
    }

    private static byte[] compress(byte[] ids) {
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try {
            deflater.setInput(ids);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, ids.length / 16));
            byte[] buf = new byte[8192];
            while (!deflater.finished()) {
                out.write(buf, 0, deflater.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }
}
