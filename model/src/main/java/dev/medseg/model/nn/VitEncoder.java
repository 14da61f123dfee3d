package dev.medseg.model.nn;

import dev.medseg.model.ModelConfig;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

import static dev.medseg.model.nn.Graph.Init.*;

/** TransUNet's pre-LN ViT blocks (vit_seg_modeling.py Block/Attention/Mlp), on tokens kept as (B·N, D). */
public final class VitEncoder {
    private VitEncoder() {}

    /** tokens: (B·N, D) → (B·N, D), without the final encoder norm. */
    public static SDVariable apply(Graph g, SDVariable tokens, ModelConfig.Vit v, int n) {
        SDVariable x = tokens;
        for (int i = 0; i < v.layers(); i++) {
            String p = "transformer.encoder.layer." + i + ".";
            SDVariable h = x;
            x = Layers.layerNorm(g, p + "attention_norm", x, v.hidden(), 1e-6);
            x = BroadcastAdd.residual(g.sd(), attention(g, p + "attn", x, v, n), h);
            h = x;
            x = Layers.layerNorm(g, p + "ffn_norm", x, v.hidden(), 1e-6);
            x = BroadcastAdd.residual(g.sd(), mlp(g, p + "ffn", x, v, n), h);
        }
        return x;
    }

    static SDVariable attention(Graph g, String p, SDVariable x, ModelConfig.Vit v, int n) {
        SameDiff sd = g.sd();
        int d = v.hidden(), heads = v.heads(), hd = d / heads;
        SDVariable q = heads(Layers.linear(g, p + ".query", x, d, d, true, XAVIER_UNIFORM), n, heads, hd);
        SDVariable k = heads(Layers.linear(g, p + ".key", x, d, d, true, XAVIER_UNIFORM), n, heads, hd);
        SDVariable val = heads(Layers.linear(g, p + ".value", x, d, d, true, XAVIER_UNIFORM), n, heads, hd);
        SDVariable scores = sd.mmul(q, k, false, true, false).div(Math.sqrt(hd)); // (B, h, N, N)
        SDVariable probs = OutputSoftmax.of(sd, scores, 3);
        if (v.attentionDropout() > 0) {
            probs = g.dropout(probs, v.attentionDropout(), g.batch(), heads, n, n);
        }
        SDVariable ctx = sd.mmul(probs, val).permute(0, 2, 1, 3).reshape(-1, d); // (B·N, D), heads concatenated in order
        return Layers.linear(g, p + ".out", ctx, d, d, true, XAVIER_UNIFORM);
    }

    static SDVariable mlp(Graph g, String p, SDVariable x, ModelConfig.Vit v, int n) {
        SDVariable y = Layers.gelu(g, Layers.linear(g, p + ".fc1", x, v.hidden(), v.mlpDim(), true, XAVIER_UNIFORM));
        y = g.dropout(y, v.dropout(), (long) g.batch() * n, v.mlpDim());
        y = Layers.linear(g, p + ".fc2", y, v.mlpDim(), v.hidden(), true, XAVIER_UNIFORM);
        return g.dropout(y, v.dropout(), (long) g.batch() * n, v.hidden());
    }

    /** (B·N, h·hd) → (B, h, N, hd). */
    static SDVariable heads(SDVariable x, int n, int heads, int hd) {
        return x.reshape(-1, n, heads, hd).permute(0, 2, 1, 3);
    }
}
