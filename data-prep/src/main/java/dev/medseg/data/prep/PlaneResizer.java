package dev.medseg.data.prep;

/**
 * Resamples many planes of one shape with {@link Resampler}'s arithmetic (scipy zoom, linear or cubic), computing
 * the tap weights once and reusing its work buffers: a volume's slices all share a shape, and allocating a fresh
 * 2 MB double plane per 512 x 512 slice cost as much garbage as the output itself. Results are bit-identical to
 * {@link Resampler#resize}. Not thread-safe: one per task.
 */
public final class PlaneResizer {

    private final int h;
    private final int w;
    private final int outH;
    private final int outW;
    private final boolean cubic;
    private final Resampler.Taps tx;
    private final Resampler.Taps ty;
    private final double[] source;
    private final double[] tmp;
    private final double[] acc;

    /**
     * A resizer from {@code h x w} to {@code outH x outW}.
     *
     * @param kind {@link Interpolation#LINEAR} or {@link Interpolation#CUBIC}
     */
    public PlaneResizer(int h, int w, int outH, int outW, Interpolation kind) {
        if (h <= 0 || w <= 0 || outH <= 0 || outW <= 0 || (long) h * w > Integer.MAX_VALUE
                || (long) outH * outW > Integer.MAX_VALUE || (long) h * outW > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cannot resize " + h + "x" + w + " to " + outH + "x" + outW);
        }
        if (kind == Interpolation.NEAREST) {
            throw new IllegalArgumentException("nearest resampling needs no weights: use Resampler.resize");
        }
        this.h = h;
        this.w = w;
        this.outH = outH;
        this.outW = outW;
        this.cubic = kind == Interpolation.CUBIC;
        this.tx = Resampler.taps(w, outW, kind);
        this.ty = Resampler.taps(h, outH, kind);
        this.source = new double[h * w];
        this.tmp = new double[Math.multiplyExact(h, outW)];
        this.acc = new double[Math.max(outW, w)];
    }

    /**
     * Resamples the plane {@code values[offset .. offset + h * w)} (row-major, not modified).
     *
     * @return a new {@code outH x outW} plane, row-major
     */
    public float[] resize(float[] values, int offset) {
        if (offset < 0 || offset > values.length - source.length) {
            throw new IllegalArgumentException("plane of " + h + "x" + w + " at offset " + offset
                    + " does not fit " + values.length + " values");
        }
        double[] src = source;
        for (int i = 0; i < src.length; i++) {
            src[i] = values[offset + i];
        }
        if (cubic) {
            Resampler.prefilterCubic(src, h, w, acc);
        }
        int k = tx.width();
        int[] txIndex = tx.index();
        double[] txWeight = tx.weight();
        // rows: (h, w) -> (h, outW)
        for (int y = 0; y < h; y++) {
            int row = y * w;
            int dst = y * outW;
            for (int j = 0; j < outW; j++) {
                double s = 0;
                int base = j * k;
                for (int t = 0; t < k; t++) {
                    s += txWeight[base + t] * src[row + txIndex[base + t]];
                }
                tmp[dst + j] = s;
            }
        }
        // columns: (h, outW) -> (outH, outW)
        float[] out = new float[outH * outW];
        int[] tyIndex = ty.index();
        double[] tyWeight = ty.weight();
        for (int i = 0; i < outH; i++) {
            java.util.Arrays.fill(acc, 0, outW, 0.0);
            int base = i * k;
            for (int t = 0; t < k; t++) {
                double wt = tyWeight[base + t];
                if (wt == 0.0) {
                    continue;
                }
                int row = tyIndex[base + t] * outW;
                for (int j = 0; j < outW; j++) {
                    acc[j] += wt * tmp[row + j];
                }
            }
            int dst = i * outW;
            for (int j = 0; j < outW; j++) {
                out[dst + j] = (float) acc[j];
            }
        }
        return out;
    }
}
