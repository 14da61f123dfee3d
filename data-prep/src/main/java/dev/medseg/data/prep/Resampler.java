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
        return new PlaneResizer(h, w, outH, outW, kind).resize(plane, 0);
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

    static void checkShape(int length, int h, int w, int outH, int outW) {
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
    record Taps(int width, int[] index, double[] weight) {
    }

    static Taps taps(int in, int out, Interpolation kind) {
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

    /**
     * In-place cubic B-spline prefilter along both axes (scipy spline_filter, order 3, mirror boundary): first
     * along each row, then along each column. Both passes do, per value, exactly the arithmetic of a one-line
     * filter ({@link #filterLine}), but the column pass runs on whole rows at a time: walking a column of a
     * 512-wide double plane touches one cache line per value (4 KB apart, the worst case for the L1 cache), a
     * row sweep is contiguous and vectorises. {@code scratch} holds at least {@code w} doubles.
     */
    static void prefilterCubic(double[] data, int h, int w, double[] scratch) {
        if (w > 1) {
            int y = 0;
            for (; y + ROW_BLOCK <= h; y += ROW_BLOCK) {
                filterRowBlock(data, y * w, w);
            }
            for (; y < h; y++) {
                filterLine(data, y * w, w);
            }
        }
        if (h > 1) {
            filterColumns(data, h, w, scratch);
        }
    }

    // scipy ni_splines.c apply_filter with _init_causal_mirror / _init_anticausal_mirror, one pole,
    // on data[from .. from + n).
    private static void filterLine(double[] c, int from, int n) {
        double z = POLE;
        double lambda = (1.0 - z) * (1.0 - 1.0 / z);
        int last = from + n - 1;
        for (int i = from; i <= last; i++) {
            c[i] *= lambda;
        }
        double zn1 = Math.pow(z, n - 1);
        double zi = z;
        double c0 = c[from] + zn1 * c[last];
        for (int i = 1; i < n - 1; i++) {
            c0 += zi * (c[from + i] + zn1 * c[last - i]);
            zi *= z;
        }
        c[from] = c0 / (1.0 - zn1 * zn1);
        for (int i = from + 1; i <= last; i++) {
            c[i] += z * c[i - 1];
        }
        c[last] = (z * c[last - 1] + c[last]) * z / (z * z - 1.0);
        for (int i = last - 1; i >= from; i--) {
            c[i] = z * (c[i + 1] - c[i]);
        }
    }

    /** Rows filtered together by {@link #filterRowBlock}. */
    private static final int ROW_BLOCK = 4;

    // filterLine on the ROW_BLOCK rows starting at data[from], interleaved: each row's recursion is a chain of
    // dependent multiply-adds, and four independent chains keep the floating-point units busy. Same arithmetic
    // per value as filterLine.
    private static void filterRowBlock(double[] c, int from, int n) {
        double z = POLE;
        double lambda = (1.0 - z) * (1.0 - 1.0 / z);
        int a = from;
        int b = from + n;
        int d = from + 2 * n;
        int e = from + 3 * n;
        for (int i = from; i < from + ROW_BLOCK * n; i++) {
            c[i] *= lambda;
        }
        double zn1 = Math.pow(z, n - 1);
        int l = n - 1;
        double zi = z;
        double ca = c[a] + zn1 * c[a + l];
        double cb = c[b] + zn1 * c[b + l];
        double cd = c[d] + zn1 * c[d + l];
        double ce = c[e] + zn1 * c[e + l];
        for (int i = 1; i < n - 1; i++) {
            ca += zi * (c[a + i] + zn1 * c[a + l - i]);
            cb += zi * (c[b + i] + zn1 * c[b + l - i]);
            cd += zi * (c[d + i] + zn1 * c[d + l - i]);
            ce += zi * (c[e + i] + zn1 * c[e + l - i]);
            zi *= z;
        }
        double norm = 1.0 - zn1 * zn1;
        c[a] = ca / norm;
        c[b] = cb / norm;
        c[d] = cd / norm;
        c[e] = ce / norm;
        // the previous value stays in a register instead of being stored and loaded back each step
        double pa = c[a];
        double pb = c[b];
        double pd = c[d];
        double pe = c[e];
        for (int i = 1; i < n; i++) {
            pa = c[a + i] + z * pa;
            pb = c[b + i] + z * pb;
            pd = c[d + i] + z * pd;
            pe = c[e + i] + z * pe;
            c[a + i] = pa;
            c[b + i] = pb;
            c[d + i] = pd;
            c[e + i] = pe;
        }
        double den = z * z - 1.0;
        pa = (z * c[a + l - 1] + c[a + l]) * z / den;
        pb = (z * c[b + l - 1] + c[b + l]) * z / den;
        pd = (z * c[d + l - 1] + c[d + l]) * z / den;
        pe = (z * c[e + l - 1] + c[e + l]) * z / den;
        c[a + l] = pa;
        c[b + l] = pb;
        c[d + l] = pd;
        c[e + l] = pe;
        for (int i = l - 1; i >= 0; i--) {
            pa = z * (pa - c[a + i]);
            pb = z * (pb - c[b + i]);
            pd = z * (pd - c[d + i]);
            pe = z * (pe - c[e + i]);
            c[a + i] = pa;
            c[b + i] = pb;
            c[d + i] = pd;
            c[e + i] = pe;
        }
    }

    // filterLine applied to every column at once (same operations per value, in the same order).
    private static void filterColumns(double[] c, int h, int w, double[] c0) {
        double z = POLE;
        double lambda = (1.0 - z) * (1.0 - 1.0 / z);
        int n = h;
        for (int i = 0; i < n * w; i++) {
            c[i] *= lambda;
        }
        double zn1 = Math.pow(z, n - 1);
        int lastRow = (n - 1) * w;
        for (int x = 0; x < w; x++) {
            c0[x] = c[x] + zn1 * c[lastRow + x];
        }
        double zi = z;
        for (int i = 1; i < n - 1; i++) {
            int a = i * w;
            int b = (n - 1 - i) * w;
            for (int x = 0; x < w; x++) {
                c0[x] += zi * (c[a + x] + zn1 * c[b + x]);
            }
            zi *= z;
        }
        double norm = 1.0 - zn1 * zn1;
        for (int x = 0; x < w; x++) {
            c[x] = c0[x] / norm;
        }
        for (int i = 1; i < n; i++) {
            int a = i * w;
            int p = a - w;
            for (int x = 0; x < w; x++) {
                c[a + x] += z * c[p + x];
            }
        }
        int p = lastRow - w;
        double den = z * z - 1.0;
        for (int x = 0; x < w; x++) {
            c[lastRow + x] = (z * c[p + x] + c[lastRow + x]) * z / den;
        }
        for (int i = n - 2; i >= 0; i--) {
            int a = i * w;
            int q = a + w;
            for (int x = 0; x < w; x++) {
                c[a + x] = z * (c[q + x] - c[a + x]);
            }
        }
    }
}
