package dev.medseg.model.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Forward values of the fused-statistics normalisations (GroupNorm, weight standardisation, BatchNorm in both modes)
 * at fp32, as training runs them, against a two-pass double-precision loop. Inputs have a non-zero mean (the
 * one-pass E[x²] − mean² must not lose the variance) and, in one case, a variance near eps (eps must sit inside
 * the root, exactly where PyTorch puts it).
 */
class NormalisationValuesTest {
    /** Values mean + spread·U(−1, 1), float-rounded. */
    private static double[] data(int n, double mean, double spread, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (float) (mean + spread * r.nextDouble(-1, 1));
        return v;
    }

    private static INDArray floats(double[] v, long... shape) {
        return Nd4j.create(v, shape, 'c').castTo(DataType.FLOAT);
    }

    /** Two-pass standardisation of the elements {@code idx} of v (biased variance, eps inside the root). */
    private static void standardise(double[] v, int[] idx, double eps, double[] out, double gamma, double beta) {
        double m = 0;
        for (int i : idx) m += v[i];
        m /= idx.length;
        double var = 0;
        for (int i : idx) var += (v[i] - m) * (v[i] - m);
        var /= idx.length;
        for (int i : idx) out[i] = (v[i] - m) / Math.sqrt(var + eps) * gamma + beta;
    }

    private static void assertClose(double[] expected, INDArray got, double relTol) {
        double[] g = got.dup('c').reshape(got.length()).toDoubleVector();
        assertEquals(expected.length, g.length);
        double scale = 0;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < g.length; i++) {
            assertEquals(expected[i], g[i], relTol * scale, "element " + i);
        }
    }

    private static void groupNormCase(int groups, int c, double mean, double spread, double eps) {
        int b = 2, h = 5, w = 4, hw = h * w, per = c / groups;
        double[] x = data(b * c * hw, mean, spread, 42);
        double[] gamma = data(c, 1, 0.5, 1), beta = data(c, 0, 0.5, 2);
        Graph g = new Graph(Graph.Mode.EVAL, 0, 1, DataType.FLOAT, null);
        SDVariable y = Layers.groupNorm(g, "gn", g.sd().constant(floats(x, b, c, h, w)), groups, c, h, w, eps);
        g.sd().getVariable("gn.weight").setArray(floats(gamma, c));
        g.sd().getVariable("gn.bias").setArray(floats(beta, c));
        double[] expected = new double[x.length];
        for (int s = 0; s < b; s++) {
            for (int gr = 0; gr < groups; gr++) {
                int[] idx = new int[per * hw];
                for (int k = 0; k < idx.length; k++) idx[k] = (s * c + gr * per) * hw + k;
                // affine per channel: standardise with unit affine, then apply γ, β by channel
                standardise(x, idx, eps, expected, 1, 0);
                for (int k = 0; k < idx.length; k++) {
                    int ch = gr * per + k / hw;
                    expected[idx[k]] = expected[idx[k]] * (float) gamma[ch] + (float) beta[ch];
                }
            }
        }
        assertClose(expected, y.eval(), 2e-6 * Math.max(1, Math.abs(mean) / spread));
    }

    @Test void groupNormWithSeveralChannelsPerGroup() { groupNormCase(4, 8, 0.7, 1.0, 1e-6); }

    @Test void groupNormKeepsTheVarianceUnderALargeMean() { groupNormCase(4, 8, 8.0, 1.0, 1e-6); }

    @Test void perChannelGroupNormWithEpsComparableToTheVariance() {
        // spread 3e-3: variance 3e-6, so eps 1e-5 changes the output by ~3x; it must be inside the root
        groupNormCase(4, 4, 0.0, 3e-3, 1e-5);
    }

    @Test
    void weightStandardisationPerOutputChannelOverKernelAndInputs() {
        int k = 3, cin = 4, cout = 2;
        // weights like a trained conv: small, with per-channel offset; variance ~ 1e-4 so eps 1e-5 matters
        double[] wv = data(k * k * cin * cout, 0.003, 0.02, 7);
        double[] xv = data(1 * cin * 4 * 4, 0.1, 1, 8);
        Graph g = new Graph(Graph.Mode.EVAL, 0, 1, DataType.FLOAT, null);
        SDVariable y = Layers.conv(g, "c", g.sd().constant(floats(xv, 1, cin, 4, 4)), cin, cout, k, 1, 1, false, true);
        g.sd().getVariable("c.weight").setArray(floats(wv, k, k, cin, cout));
        // reference: standardise the HWIO kernel per output channel (stride cout in the flat array)
        double[] ws = new double[wv.length];
        for (int o = 0; o < cout; o++) {
            int[] idx = new int[k * k * cin];
            for (int i = 0; i < idx.length; i++) idx[i] = i * cout + o;
            standardise(wv, idx, 1e-5, ws, 1, 0);
        }
        double[] expected = new double[cout * 16];
        for (int o = 0; o < cout; o++) for (int oy = 0; oy < 4; oy++) for (int ox = 0; ox < 4; ox++) {
            double s = 0;
            for (int ky = 0; ky < k; ky++) for (int kx = 0; kx < k; kx++) for (int ci = 0; ci < cin; ci++) {
                int iy = oy + ky - 1, ix = ox + kx - 1;
                if (iy < 0 || iy >= 4 || ix < 0 || ix >= 4) continue;
                s += xv[(ci * 4 + iy) * 4 + ix] * ws[((ky * k + kx) * cin + ci) * cout + o];
            }
            expected[(o * 4 + oy) * 4 + ox] = s;
        }
        assertClose(expected, y.eval(), 2e-6);
    }

    @Test
    void batchNormInTrainingModeNormalisesWithBatchStatisticsAndReportsUnbiasedVariance() {
        int b = 3, c = 2, h = 2, w = 3, hw = h * w;
        double[] x = data(b * c * hw, 2.0, 0.5, 9);
        Graph g = new Graph(Graph.Mode.TRAIN, b, 1, DataType.FLOAT, null);
        SDVariable y = Layers.batchNorm(g, "bn", g.sd().constant(floats(x, b, c, h, w)), c, h, w);
        double[] expected = new double[x.length];
        double[] means = new double[c], vars = new double[c];
        for (int ch = 0; ch < c; ch++) {
            int[] idx = new int[b * hw];
            for (int i = 0; i < idx.length; i++) idx[i] = ((i / hw) * c + ch) * hw + i % hw;
            standardise(x, idx, 1e-5, expected, 1, 0);
            for (int i : idx) means[ch] += x[i] / idx.length;
            for (int i : idx) vars[ch] += (x[i] - means[ch]) * (x[i] - means[ch]) / (idx.length - 1);
        }
        Graph.BatchStats st = g.batchStats().get(0);
        Map<String, INDArray> out = g.sd().output(Map.of(), y.name(), st.batchMean(), st.batchVar());
        assertClose(expected, out.get(y.name()), 2e-6);
        assertArrayEquals(means, out.get(st.batchMean()).toDoubleVector(), 1e-6);
        assertArrayEquals(vars, out.get(st.batchVar()).toDoubleVector(), 1e-6);
    }

    @Test
    void batchNormInEvalModeUsesTheRunningStatistics() {
        int c = 2;
        double[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        Graph g = new Graph(Graph.Mode.EVAL, 0, 1, DataType.FLOAT, null);
        SDVariable y = Layers.batchNorm(g, "bn", g.sd().constant(floats(x, 1, c, 2, 2)), c, 2, 2);
        g.sd().getArrForVarName("bn.running_mean").assign(Nd4j.createFromArray(1f, -2f));
        g.sd().getArrForVarName("bn.running_var").assign(Nd4j.createFromArray(4f, 0.25f));
        g.sd().getVariable("bn.weight").setArray(Nd4j.createFromArray(2f, 1f));
        g.sd().getVariable("bn.bias").setArray(Nd4j.createFromArray(0.5f, -1f));
        double[] expected = new double[8];
        for (int i = 0; i < 8; i++) {
            int ch = i / 4;
            double m = ch == 0 ? 1 : -2, v = ch == 0 ? 4 : 0.25, gm = ch == 0 ? 2 : 1, bt = ch == 0 ? 0.5 : -1;
            expected[i] = (x[i] - m) / Math.sqrt(v + 1e-5) * gm + bt;
        }
        assertClose(expected, y.eval(), 1e-6);
    }
}
