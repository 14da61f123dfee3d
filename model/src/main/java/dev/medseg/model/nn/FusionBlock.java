package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;

import java.util.List;

import static dev.medseg.model.nn.Graph.Init.*;

/**
 * MedVisionLlama's multi-scale fusion block (our design; the paper names it without defining it). Each source
 * token map i (an encoder depth, or the LLM-refined tokens) is LayerNorm'd ({@code <p>.norms.i}, eps 1e-6) and
 * projected 1×1 to D ({@code <p>.proj.i}); the projections are concatenated over channels, passed through exact GELU
 * and fused by a 1×1 projection kD → D ({@code <p>.fuse}). On tokens, a 1×1 conv is a linear map per token, so all
 * three are token-wise linears on (B·N, ·). Concatenation + a learned fuse was preferred over a softmax-weighted
 * sum: it mixes channels across depths, and it avoids a softmax over a non-last axis (unreliable in SameDiff M2.1).
 */
public final class FusionBlock {
    private FusionBlock() {}

    /** sources: k maps of (B·N, D) → (B·N, D). */
    public static SDVariable apply(Graph g, String p, List<SDVariable> sources, int d) {
        if (sources.isEmpty()) throw new IllegalArgumentException("the fusion block needs at least one source");
        SDVariable[] projected = new SDVariable[sources.size()];
        for (int i = 0; i < projected.length; i++) {
            SDVariable n = Layers.layerNorm(g, p + ".norms." + i, sources.get(i), d, 1e-6);
            projected[i] = Layers.linear(g, p + ".proj." + i, n, d, d, true, UNIFORM_FAN_IN);
        }
        SDVariable cat = projected.length == 1 ? projected[0] : g.sd().concat(1, projected);
        int k = projected.length;
        return Layers.linear(g, p + ".fuse", Layers.gelu(g, cat), k * d, d, true, UNIFORM_FAN_IN);
    }

    /** Trainable parameters of a fusion block over k sources of width d. */
    public static long parameters(int k, int d) {
        return k * (2L * d + (long) d * d + d) + (long) k * d * d + d;
    }
}
