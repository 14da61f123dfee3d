package dev.medseg.model.nn;

import dev.medseg.model.ModelConfig;
import org.nd4j.autodiff.samediff.SDVariable;

import java.util.ArrayList;
import java.util.List;

/**
 * MedVisionLlama's encoder: pre-LN ViT blocks named as TransUNet's ({@code transformer.encoder.layer.i.}), whose
 * attention sublayer is {@link HybridAttention} when asked for, else plain MHSA; MLP as ViT (exact GELU).
 */
public final class HybridVitEncoder {
    private HybridVitEncoder() {}

    /**
     * @param tokens (B·N, D), N = grid²
     * @param kernel local-branch kernel side; ignored without {@code hybrid}
     * @return the output of every block in order, each (B·N, D), without a final norm
     */
    public static List<SDVariable> apply(Graph g, SDVariable tokens, ModelConfig.Vit v, int grid, boolean hybrid,
                                         int kernel) {
        int n = grid * grid;
        List<SDVariable> outs = new ArrayList<>();
        SDVariable x = tokens;
        for (int i = 0; i < v.layers(); i++) {
            String p = "transformer.encoder.layer." + i + ".";
            SDVariable a = Layers.layerNorm(g, p + "attention_norm", x, v.hidden(), 1e-6);
            a = hybrid ? HybridAttention.apply(g, p + "attn", a, v, grid, kernel) : VitEncoder.attention(g, p + "attn", a, v, n);
            x = BroadcastAdd.residual(g.sd(), x, a);
            SDVariable m = Layers.layerNorm(g, p + "ffn_norm", x, v.hidden(), 1e-6);
            x = BroadcastAdd.residual(g.sd(), x, VitEncoder.mlp(g, p + "ffn", m, v, n));
            outs.add(x);
        }
        return outs;
    }

    /** Trainable parameters of one block. */
    public static long blockParameters(ModelConfig.Vit v, boolean hybrid, int kernel) {
        long d = v.hidden(), m = v.mlpDim();
        long block = 4 * d + 4 * (d * d + d) + (d * m + m) + (m * d + d);
        return hybrid ? block + HybridAttention.extraParameters(v.hidden(), kernel) : block;
    }
}
