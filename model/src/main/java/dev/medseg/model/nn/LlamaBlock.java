package dev.medseg.model.nn;

import dev.medseg.model.ModelConfig;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.autodiff.samediff.SameDiff;

import static dev.medseg.model.nn.Graph.Init.*;

/**
 * One frozen LLaMA-family decoder block used as a visual token processor (Pang et al.; LLM-TransUNet's llama.py):
 * pre-norm RMSNorm, multi-head or grouped-query attention with no rotary embedding and no mask, SwiGLU FFN, two
 * residuals; then the model-level RMSNorm with unit weight. All weights are frozen constants.
 * Names: {@code <prefix>layers.0.attention.wq.weight} ... as LLM-TransUNet's state dict has them.
 */
public final class LlamaBlock {
    private LlamaBlock() {}

    /** x: (B·N, dim) → (B·N, dim). */
    public static SDVariable apply(Graph g, String prefix, SDVariable x, ModelConfig.Llm c, int n) {
        SameDiff sd = g.sd();
        String p = prefix + "layers.0.";
        int d = c.dim(), hd = c.headDim(), kvDim = c.kvHeads() * hd;
        DataType w = c.storage().dataType(g.dtype()); // the seven matrices; the two norm weights stay in the graph's type
        SDVariable a = Layers.rmsNorm(g, x, g.frozen(p + "attention_norm.weight", ONES, d, d), d, c.normEps());
        SDVariable q = VitEncoder.heads(Layers.frozenLinear(g, p + "attention.wq", a, d, d, w), n, c.heads(), hd);
        SDVariable k = repeatKv(Layers.frozenLinear(g, p + "attention.wk", a, d, kvDim, w), n, c, hd);
        SDVariable v = repeatKv(Layers.frozenLinear(g, p + "attention.wv", a, d, kvDim, w), n, c, hd);
        SDVariable scores = sd.mmul(q, k, false, true, false).div(Math.sqrt(hd));
        SDVariable probs = OutputSoftmax.of(sd, scores, 3);
        SDVariable o = sd.mmul(probs, v).permute(0, 2, 1, 3).reshape(-1, d);
        SDVariable h = BroadcastAdd.residual(sd, x, Layers.frozenLinear(g, p + "attention.wo", o, d, d, w));
        SDVariable f = Layers.rmsNorm(g, h, g.frozen(p + "ffn_norm.weight", ONES, d, d), d, c.normEps());
        SDVariable gate = Layers.silu(g, Layers.frozenLinear(g, p + "feed_forward.w1", f, d, c.ffnDim(), w));
        SDVariable up = Layers.frozenLinear(g, p + "feed_forward.w3", f, d, c.ffnDim(), w);
        SDVariable out = BroadcastAdd.residual(sd, h, Layers.frozenLinear(g, p + "feed_forward.w2", gate.mul(up), c.ffnDim(), d, w));
        return c.finalNorm() ? Layers.rmsNorm(g, out, null, d, c.normEps()) : out;
    }

    /** (B·N, kv·hd) → (B, heads, N, hd), each KV head shared by heads/kv query heads (Llama's repeat_kv). */
    static SDVariable repeatKv(SDVariable x, int n, ModelConfig.Llm c, int hd) {
        int rep = c.heads() / c.kvHeads();
        if (rep == 1) return VitEncoder.heads(x, n, c.heads(), hd);
        SDVariable t = x.reshape(-1, n, c.kvHeads(), 1, hd);
        SDVariable tiled = x.getSameDiff().concat(3, java.util.Collections.nCopies(rep, t).toArray(new SDVariable[0]));
        return tiled.reshape(-1, n, c.heads(), hd).permute(0, 2, 1, 3);
    }
}
