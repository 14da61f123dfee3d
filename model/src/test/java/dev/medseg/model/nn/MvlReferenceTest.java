package dev.medseg.model.nn;

import dev.medseg.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The frozen GQA block and the LoRA linear against plain-Java computations written from their definitions. */
class MvlReferenceTest {
    static double[][] random(SplittableRandom r, int rows, int cols, double scale) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) for (int j = 0; j < cols; j++) row[j] = scale * (2 * r.nextDouble() - 1);
        return m;
    }

    static INDArray nd(double[][] m) { return Nd4j.create(m).castTo(DataType.DOUBLE); }

    static double[][] times(double[][] x, double[][] wOutIn) { // x·Wᵀ
        double[][] y = new double[x.length][wOutIn.length];
        for (int i = 0; i < x.length; i++)
            for (int o = 0; o < wOutIn.length; o++) {
                double s = 0;
                for (int k = 0; k < x[i].length; k++) s += x[i][k] * wOutIn[o][k];
                y[i][o] = s;
            }
        return y;
    }

    static double[][] rms(double[][] x, double[] w, double eps) {
        double[][] y = new double[x.length][x[0].length];
        for (int i = 0; i < x.length; i++) {
            double ms = 0;
            for (double v : x[i]) ms += v * v;
            double inv = 1 / Math.sqrt(ms / x[i].length + eps);
            for (int j = 0; j < x[i].length; j++) y[i][j] = x[i][j] * inv * (w == null ? 1 : w[j]);
        }
        return y;
    }

    /** Llama's block as written in Meta's llama/model.py minus RoPE and mask, one sample of n tokens. */
    static double[][] llamaBlock(double[][] x, Map<String, double[][]> w, double[] attnNorm, double[] ffnNorm,
                                 ModelConfig.Llm c) {
        return llamaBlock(x, w, attnNorm, ffnNorm, c, false);
    }

    /** {@code interleaved}: the wrong head-to-KV map h % kvHeads, to show the test can tell the two apart. */
    static double[][] llamaBlock(double[][] x, Map<String, double[][]> w, double[] attnNorm, double[] ffnNorm,
                                 ModelConfig.Llm c, boolean interleaved) {
        int n = x.length, d = c.dim(), hd = c.headDim(), rep = c.heads() / c.kvHeads();
        double[][] a = rms(x, attnNorm, c.normEps());
        double[][] q = times(a, w.get("wq")), k = times(a, w.get("wk")), v = times(a, w.get("wv"));
        double[][] o = new double[n][d];
        for (int h = 0; h < c.heads(); h++) {
            int kvh = interleaved ? h % c.kvHeads() : h / rep; // repeat_kv: query head h reads KV head h / (heads / kvHeads)
            for (int i = 0; i < n; i++) {
                double[] s = new double[n];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    for (int e = 0; e < hd; e++) dot += q[i][h * hd + e] * k[j][kvh * hd + e];
                    s[j] = dot / Math.sqrt(hd);
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j < n; j++) z += (s[j] = Math.exp(s[j] - max));
                for (int e = 0; e < hd; e++) {
                    double acc = 0;
                    for (int j = 0; j < n; j++) acc += s[j] / z * v[j][kvh * hd + e];
                    o[i][h * hd + e] = acc;
                }
            }
        }
        double[][] attn = times(o, w.get("wo"));
        double[][] h = new double[n][d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) h[i][j] = x[i][j] + attn[i][j];
        double[][] f = rms(h, ffnNorm, c.normEps());
        double[][] g1 = times(f, w.get("w1")), g3 = times(f, w.get("w3"));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < g1[i].length; j++) g1[i][j] = g1[i][j] / (1 + Math.exp(-g1[i][j])) * g3[i][j];
        double[][] ffn = times(g1, w.get("w2"));
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) h[i][j] += ffn[i][j];
        return c.finalNorm() ? rms(h, null, c.normEps()) : h;
    }

    @Test
    void groupedQueryAttentionBlockMatchesAPlainJavaLlama() {
        var c = new ModelConfig.Llm(12, 6, 2, 20, 1e-5, true, true); // 3 query heads per KV head, head dim 2
        int n = 5, batch = 2, kv = c.kvHeads() * c.headDim();
        var r = new SplittableRandom(42);
        Map<String, double[][]> w = Map.of("wq", random(r, 12, 12, 0.5), "wk", random(r, kv, 12, 0.5),
                "wv", random(r, kv, 12, 0.5), "wo", random(r, 12, 12, 0.3), "w1", random(r, 20, 12, 0.3),
                "w2", random(r, 12, 20, 0.3), "w3", random(r, 20, 12, 0.3));
        double[] attnNorm = random(r, 1, 12, 1)[0], ffnNorm = random(r, 1, 12, 1)[0];
        double[][] x = random(r, batch * n, 12, 2);
        Map<String, INDArray> frozen = new HashMap<>();
        String p = "llama.layers.0.";
        w.forEach((k, m) -> frozen.put(p + (k.startsWith("w") && k.length() == 2 && k.charAt(1) >= '1' && k.charAt(1) <= '3'
                ? "feed_forward." : "attention.") + k + ".weight", kept(m)));
        frozen.put(p + "attention_norm.weight", Nd4j.createFromArray(attnNorm));
        frozen.put(p + "ffn_norm.weight", Nd4j.createFromArray(ffnNorm));

        Graph g = new Graph(Graph.Mode.EVAL, 0, 1, DataType.DOUBLE, frozen::get);
        INDArray got = LlamaBlock.apply(g, "llama.", g.sd().constant(nd(x)), c, n).eval();
        assertEquals(9, g.frozen().size());
        for (int b = 0; b < batch; b++) {
            double[][] sample = java.util.Arrays.copyOfRange(x, b * n, (b + 1) * n);
            double[][] want = llamaBlock(sample, w, attnNorm, ffnNorm, c);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < 12; j++)
                    assertEquals(want[i][j], got.getDouble(b * n + i, j), 1e-9, "sample " + b + " token " + i + " dim " + j);
        }
        // The head-to-KV assignment matters: the interleaved map gives visibly different outputs.
        double[][] wrong = llamaBlock(java.util.Arrays.copyOfRange(x, 0, n), w, attnNorm, ffnNorm, c, true);
        double maxDiff = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < 12; j++) maxDiff = Math.max(maxDiff, Math.abs(wrong[i][j] - got.getDouble(i, j)));
        assertTrue(maxDiff > 1e-3, "interleaved KV map indistinguishable: " + maxDiff);
    }

    @Test
    void loraLinearIsBaseWeightPlusBiasPlusScaledLowRankUpdate() {
        int in = 5, out = 3, rank = 2;
        double alpha = 3.0;
        var r = new SplittableRandom(7);
        double[][] w = random(r, out, in, 1), a = random(r, rank, in, 1), bm = random(r, out, rank, 1), x = random(r, 4, in, 1);
        double[] bias = random(r, 1, out, 1)[0];
        Graph g = new Graph(Graph.Mode.EVAL, 0, 1, DataType.DOUBLE, name -> name.equals("m.weight") ? kept(w) : null);
        SDVariable y = LoraLinear.apply(g, "m", g.sd().constant(nd(x)), in, out, rank, alpha);
        assertEquals(Map.of("m.weight", new long[]{out, in}).keySet(), g.frozen().keySet());
        assertEquals(java.util.Set.of("m.bias", "m.lora_A", "m.lora_B"), g.trainable().keySet());
        // at initialisation B = 0: the layer is its frozen base plus the (drawn) bias
        INDArray init = y.eval();
        INDArray bias0 = g.sd().getArrForVarName("m.bias").dup();
        g.sd().getArrForVarName("m.lora_A").assign(nd(a));
        g.sd().getArrForVarName("m.lora_B").assign(nd(bm));
        g.sd().getArrForVarName("m.bias").assign(Nd4j.createFromArray(bias));
        INDArray got = y.eval();
        for (int i = 0; i < x.length; i++)
            for (int o = 0; o < out; o++) {
                double base = 0, low = 0;
                for (int k = 0; k < in; k++) base += w[o][k] * x[i][k];
                for (int q = 0; q < rank; q++) {
                    double ax = 0;
                    for (int k = 0; k < in; k++) ax += a[q][k] * x[i][k];
                    low += bm[o][q] * ax;
                }
                assertEquals(base + bias[o] + alpha / rank * low, got.getDouble(i, o), 1e-12, "row " + i + " out " + o);
                assertEquals(base + bias0.getDouble(o), init.getDouble(i, o), 1e-12, "initial row " + i + " out " + o);
            }
    }

    /** An [out, in] matrix as a frozen source hands it to the graph: transposed where the graph keeps it so. */
    private static INDArray kept(double[][] m) {
        return Graph.keptTransposed(m.length, m[0].length) ? nd(m).transpose().dup() : nd(m);
    }
}
