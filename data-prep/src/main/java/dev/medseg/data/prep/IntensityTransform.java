package dev.medseg.data.prep;

import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How raw intensities become model inputs, applied to a whole volume (or 2-D image) before resampling, as the
 * reference pipelines do. 2-D readers already give values in [0, 1] (8-bit / 255, 16-bit / 65535):
 * {@link UnitRange} keeps them.
 */
public sealed interface IntensityTransform extends Serializable {

    /** Transforms {@code values} in place; a volume the transform cannot normalise is a {@link CaseRejection}. */
    void apply(float[] values, String source);

    /** The text form accepted by {@link #parse}, e.g. {@code ct-window(-125,275)}. */
    String describe();

    /** Clip to [lo, hi], then scale to [0, 1] by (x - lo) / (hi - lo): CT Hounsfield windows. */
    record CtWindow(double lo, double hi) implements IntensityTransform {
        /** Checks lo < hi. */
        public CtWindow {
            if (!(lo < hi) || !Double.isFinite(lo) || !Double.isFinite(hi)) {
                throw new IllegalArgumentException("ct-window needs finite lo < hi, got (" + lo + ", " + hi + ")");
            }
        }

        @Override
        public void apply(float[] v, String source) {
            // CT volumes are int16: every whole value in the int16 range is looked up in a table computed with
            // the same formula (so results are bit-identical), which skips a double clamp and division per voxel.
            float[] table = new float[1 << 16];
            for (int k = 0; k < table.length; k++) {
                table[k] = window(k + Short.MIN_VALUE);
            }
            for (int i = 0; i < v.length; i++) {
                float x = v[i];
                int n = (int) x;
                v[i] = n == x && n >= Short.MIN_VALUE && n <= Short.MAX_VALUE ? table[n - Short.MIN_VALUE] : window(x);
            }
        }

        // Both zeros give the same result: -0 and +0 differ only when lo or hi is 0, where min/max fold them.
        private float window(double value) {
            double x = Math.min(hi, Math.max(lo, value));
            return (float) ((x - lo) / (hi - lo));
        }

        @Override
        public String describe() {
            return "ct-window(" + fmt(lo) + "," + fmt(hi) + ")";
        }
    }

    /** Per-volume min-max to [0, 1]. */
    record MinMax() implements IntensityTransform {
        @Override
        public void apply(float[] v, String source) {
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (float x : v) {
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
            if (!(max > min)) {
                throw new CaseRejection(source, "empty volume: every voxel is " + min + " (nothing to normalise)", "normalise");
            }
            double range = max - min;
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((v[i] - min) / range);
            }
        }

        @Override
        public String describe() {
            return "minmax";
        }
    }

    /** Per-volume z-score: (x - mean) / std (population std), as nnU-Net does for MRI. */
    record ZScore() implements IntensityTransform {
        @Override
        public void apply(float[] v, String source) {
            double sum = 0;
            for (float x : v) {
                sum += x;
            }
            double mean = sum / v.length;
            double sq = 0;
            for (float x : v) {
                double d = x - mean;
                sq += d * d;
            }
            double std = Math.sqrt(sq / v.length);
            if (!(std > 0)) {
                throw new CaseRejection(source, "empty volume: zero intensity variance (nothing to normalise)", "normalise");
            }
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((v[i] - mean) / std);
            }
        }

        @Override
        public String describe() {
            return "zscore";
        }
    }

    /** Keep the reader's [0, 1] values (2-D: 8-bit / 255, 16-bit / 65535). */
    record UnitRange() implements IntensityTransform {
        @Override
        public void apply(float[] v, String source) {
            // the 2-D reader already scaled by the bit depth
        }

        @Override
        public String describe() {
            return "unit";
        }
    }

    /** Parses {@code ct-window(lo,hi)}, {@code zscore}, {@code minmax} or {@code unit}. */
    static IntensityTransform parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT).replace(" ", "");
        Matcher m = Pattern.compile("ct-window\\(([-+0-9.eE]+),([-+0-9.eE]+)\\)").matcher(t);
        if (m.matches()) {
            try {
                return new CtWindow(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad numbers in intensity transform '" + text + "'", e);
            }
        }
        return switch (t) {
            case "zscore", "z-score" -> new ZScore();
            case "minmax", "min-max" -> new MinMax();
            case "unit" -> new UnitRange();
            default -> throw new IllegalArgumentException("unknown intensity transform '" + text
                    + "'; expected ct-window(lo,hi), zscore, minmax or unit");
        };
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
