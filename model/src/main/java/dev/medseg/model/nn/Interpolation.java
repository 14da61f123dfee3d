package dev.medseg.model.nn;

/** Fixed interpolation matrices for exact resampling as matrix products. */
public final class Interpolation {
    private Interpolation() {}

    /**
     * The (in, out) matrix M with out = in·M for linear interpolation with aligned corners: output index o samples
     * input position o·(in−1)/(out−1) (PyTorch align_corners=True, scipy zoom order 1 with grid_mode=False).
     * Row-major, in×out.
     */
    public static double[] alignCorners(int in, int out) {
        double[] m = new double[in * out];
        for (int o = 0; o < out; o++) {
            double pos = out == 1 ? 0 : o * (in - 1) / (double) (out - 1);
            int i0 = (int) Math.floor(pos);
            int i1 = Math.min(i0 + 1, in - 1);
            double f = pos - i0;
            m[i0 * out + o] += 1 - f;
            if (f > 0) m[i1 * out + o] += f;
        }
        return m;
    }
}
