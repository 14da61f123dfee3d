package dev.medseg.data.prep;

/**
 * Resizes 2-D planes exactly as {@code scipy.ndimage.zoom(x, (outH / h, outW / w), order=k)} does with its
 * defaults ({@code mode='constant'}, {@code grid_mode=False}, prefilter on), checked against fixtures scipy wrote.
 *
 * <ul>
 *   <li>Coordinates are "align corners": output index i samples input position {@code i * (in - 1) / (out - 1)}
 *       (position 0 when out is 1), computed in double as scipy does.</li>
 *   <li>Order 0 takes input {@code floor(position + 0.5)}; order 1 interpolates linearly; order 3 first turns the
 *       plane into cubic B-spline coefficients (recursive filter, pole sqrt(3) - 2, mirror boundary) and then
 *       evaluates the spline. Taps that fall outside the input are mirrored ({@code d c b | a b c d | c b a}),
 *       which is what scipy's zoom does for every mode when all sample positions lie inside the input.</li>
 *   <li>Both axes are separable: rows are resampled first into a temporary (in_h x out_w) plane, then columns.
 *       This only changes float rounding order (differences ~1e-7 relative).</li>
 * </ul>
 */
public final class Resampler {

    private static final double POLE = Math.sqrt(3.0) - 2.0;

    private Resampler() {
    }

    /**
     * Resamples one row-major plane.
     *
     * @param plane values {@code plane[y * w + x]}; not modified
     * @return the {@code outH x outW} plane, row-major
     */
    public static float[] resize(float[] plane, int h, int w, int outH, int outW, Interpolation kind) {
        checkShape(plane.length, h, w, outH, outW);
        if (kind == Interpolation.NEAREST) {
            return nearest(plane, h, w, outH, outW);
        }
        double[] source = new double[plane.length];
        for (int i = 0; i < plane.length; i++) {
            source[i] = plane[i];
        }
        if (kind == Interpolation.CUBIC) {
            prefilterCubic(source, h, w);
        }
        Taps tx = taps(w, outW, kind);
        Taps ty = taps(h, outH, kind);
        int k = tx.width;
        // rows: (h, w) -> (h, outW)
        double[] tmp = new double[h * outW];
        for (int y = 0; y < h; y++) {
            int row = y * w;
            for (int j = 0; j < outW; j++) {
                double s = 0;
                int base = j * k;
                for (int t = 0; t < k; t++) {
                    s += tx.weight[base + t] * source[row + tx.index[base + t]];
                }
                tmp[y * outW + j] = s;
            }
        }
        // columns: (h, outW) -> (outH, outW)
        float[] out = new float[outH * outW];
        double[] acc = new double[outW];
        for (int i = 0; i < outH; i++) {
            java.util.Arrays.fill(acc, 0.0);
            int base = i * k;
            for (int t = 0; t < k; t++) {
                double wt = ty.weight[base + t];
                if (wt == 0.0) {
                    continue;
                }
                int row = ty.index[base + t] * outW;
                for (int j = 0; j < outW; j++) {
                    acc[j] += wt * tmp[row + j];
                }
            }
            for (int j = 0; j < outW; j++) {
                out[i * outW + j] = (float) acc[j];
            }
        }
        return out;
    }

    /** Nearest-neighbour resampling of a label plane (scipy order 0): class ids are never mixed. */
    public static byte[] resizeLabels(byte[] plane, int h, int w, int outH, int outW) {
        checkShape(plane.length, h, w, outH, outW);
        int[] xs = nearestIndices(w, outW);
        int[] ys = nearestIndices(h, outH);
        byte[] out = new byte[outH * outW];
        for (int i = 0; i < outH; i++) {
            int row = ys[i] * w;
            for (int j = 0; j < outW; j++) {
                out[i * outW + j] = plane[row + xs[j]];
            }
        }
        return out;
    }

    private static float[] nearest(float[] plane, int h, int w, int outH, int outW) {
        int[] xs = nearestIndices(w, outW);
        int[] ys = nearestIndices(h, outH);
        float[] out = new float[outH * outW];
        for (int i = 0; i < outH; i++) {
            int row = ys[i] * w;
            for (int j = 0; j < outW; j++) {
                out[i * outW + j] = plane[row + xs[j]];
            }
        }
        return out;
    }

    private static void checkShape(int length, int h, int w, int outH, int outW) {
        if (h <= 0 || w <= 0 || outH <= 0 || outW <= 0 || (long) h * w != length) {
            throw new IllegalArgumentException("cannot resize a plane of " + length + " values as " + h + "x" + w
                    + " to " + outH + "x" + outW);
        }
    }

    /** scipy's zoom factor with grid_mode=False: (in - 1) / (out - 1), or 1 when out is 1. */
    private static double step(int in, int out) {
        return out == 1 ? 1.0 : (double) (in - 1) / (out - 1);
    }

    private static int[] nearestIndices(int in, int out) {
        double step = step(in, out);
        int[] idx = new int[out];
        for (int i = 0; i < out; i++) {
            idx[i] = mirror((long) Math.floor(i * step + 0.5), in);
        }
        return idx;
    }

    /** Tap indices and weights per output position, {@code width} taps each. */
    private record Taps(int width, int[] index, double[] weight) {
    }

    private static Taps taps(int in, int out, Interpolation kind) {
        double step = step(in, out);
        int k = kind == Interpolation.CUBIC ? 4 : 2;
        int[] index = new int[out * k];
        double[] weight = new double[out * k];
        for (int i = 0; i < out; i++) {
            double cc = i * step;
            long floor = (long) Math.floor(cc);
            double x = cc - floor;
            int b = i * k;
            if (kind == Interpolation.CUBIC) {
                long start = floor - 1;
                double z = 1.0 - x;
                double w1 = (x * x * (x - 2.0) * 3.0 + 4.0) / 6.0;
                double w2 = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0;
                double w0 = z * z * z / 6.0;
                double[] ws = {w0, w1, w2, 1.0 - w0 - w1 - w2};
                for (int t = 0; t < 4; t++) {
                    index[b + t] = mirror(start + t, in);
                    weight[b + t] = ws[t];
                }
            } else {
                index[b] = mirror(floor, in);
                index[b + 1] = mirror(floor + 1, in);
                weight[b] = 1.0 - x;
                weight[b + 1] = x;
            }
        }
        return new Taps(k, index, weight);
    }

    /** Mirror-extends an index into [0, len): scipy's {@code d c b | a b c d | c b a}. */
    static int mirror(long idx, int len) {
        if (len <= 1) {
            return 0;
        }
        long s2 = 2L * len - 2;
        if (idx < 0) {
            idx = s2 * (-idx / s2) + idx;
            idx = idx <= 1 - len ? idx + s2 : -idx;
        } else if (idx >= len) {
            idx -= s2 * (idx / s2);
            if (idx >= len) {
                idx = s2 - idx;
            }
        }
        return (int) idx;
    }

    /** In-place cubic B-spline prefilter along both axes (scipy spline_filter, order 3, mirror boundary). */
    static void prefilterCubic(double[] data, int h, int w) {
        if (w > 1) {
            double[] line = new double[w];
            for (int y = 0; y < h; y++) {
                System.arraycopy(data, y * w, line, 0, w);
                filterLine(line);
                System.arraycopy(line, 0, data, y * w, w);
            }
        }
        if (h > 1) {
            double[] line = new double[h];
            for (int x = 0; x < w; x++) {
                for (int y = 0; y < h; y++) {
                    line[y] = data[y * w + x];
                }
                filterLine(line);
                for (int y = 0; y < h; y++) {
                    data[y * w + x] = line[y];
                }
            }
        }
    }

    // scipy ni_splines.c apply_filter with _init_causal_mirror / _init_anticausal_mirror, one pole.
    private static void filterLine(double[] c) {
        int n = c.length;
        double z = POLE;
        double lambda = (1.0 - z) * (1.0 - 1.0 / z);
        for (int i = 0; i < n; i++) {
            c[i] *= lambda;
        }
        double zn1 = Math.pow(z, n - 1);
        double zi = z;
        double c0 = c[0] + zn1 * c[n - 1];
        for (int i = 1; i < n - 1; i++) {
            c0 += zi * (c[i] + zn1 * c[n - 1 - i]);
            zi *= z;
        }
        c[0] = c0 / (1.0 - zn1 * zn1);
        for (int i = 1; i < n; i++) {
            c[i] += z * c[i - 1];
        }
        c[n - 1] = (z * c[n - 2] + c[n - 1]) * z / (z * z - 1.0);
        for (int i = n - 2; i >= 0; i--) {
            c[i] = z * (c[i + 1] - c[i]);
        }
    }
}
