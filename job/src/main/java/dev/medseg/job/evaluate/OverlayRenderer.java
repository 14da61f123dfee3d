package dev.medseg.job.evaluate;

import dev.medseg.data.prep.Interpolation;
import dev.medseg.data.prep.Resampler;
import dev.medseg.data.slices.SliceSchema;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

import static dev.medseg.job.evaluate.SplitSlices.*;

/**
 * A task that prepares overlay pictures of chosen slices (rows with {@link SplitSlices#COLUMNS}): predicts each
 * slice as {@code evaluate} does, and brings the image to the native grid (linear interpolation, min-max scaled
 * to [0, 1]) so image, reference and prediction line up. A slice that does not decode is skipped: pictures are
 * a convenience, and its case already has a row.
 */
public final class OverlayRenderer implements FlatMapFunction<Iterator<Row>, OverlayPicture> {
    private static final long serialVersionUID = 1L;

    private final InferenceModel model;
    private final int numClasses;

    /** A renderer of {@code model}'s predictions ({@code numClasses} output channels). */
    public OverlayRenderer(InferenceModel model, int numClasses) {
        this.model = model;
        this.numClasses = numClasses;
    }

    @Override
    public Iterator<OverlayPicture> call(Iterator<Row> rows) {
        List<Row> all = new ArrayList<>();
        rows.forEachRemaining(all::add);
        if (all.isEmpty()) {
            return Collections.emptyIterator();
        }
        List<OverlayPicture> out = new ArrayList<>();
        model.withGraph(g -> {
            for (Row r : all) {
                int c = r.getInt(CHANNELS_COL);
                int s = r.getInt(HEIGHT_COL);
                int h = r.getInt(ORIGINAL_HEIGHT_COL);
                int w = r.getInt(ORIGINAL_WIDTH_COL);
                byte[] ref = r.isNullAt(LABEL_NATIVE_COL) ? null : r.getAs(LABEL_NATIVE_COL);
                if (ref == null || ref.length != h * w || r.getInt(WIDTH_COL) != s) {
                    continue;
                }
                float[] image;
                try {
                    image = SliceSchema.decodeImage(r.getAs(IMAGE_COL), c, s, s, "overlay");
                } catch (IllegalArgumentException e) {
                    continue;
                }
                byte[] pred = SlicePredictor.toNative(
                        SlicePredictor.predict(g, numClasses, c, s, List.of(image)).get(0), s, h, w);
                out.add(new OverlayPicture(r.getString(CASE_COL), r.getInt(SLICE_COL), c, w, h,
                        toNative(image, c, s, h, w), ints(ref), ints(pred)));
            }
            return null;
        });
        return out.iterator();
    }

    private static float[] toNative(float[] image, int channels, int size, int height, int width) {
        int plane = size * size;
        int nativePlane = height * width;
        float[] out = new float[channels * nativePlane];
        for (int c = 0; c < channels; c++) {
            float[] p = new float[plane];
            System.arraycopy(image, c * plane, p, 0, plane);
            float[] n = Resampler.resize(p, size, size, height, width, Interpolation.LINEAR);
            System.arraycopy(n, 0, out, c * nativePlane, nativePlane);
        }
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float v : out) {
            if (Float.isFinite(v)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        float range = hi > lo ? hi - lo : 1;
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.isFinite(out[i]) ? (out[i] - lo) / range : 0;
        }
        return out;
    }

    private static int[] ints(byte[] b) {
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 0xFF;
        }
        return out;
    }
}
