package dev.medseg.model.nn;

import dev.medseg.model.ModelConfig;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;

import static dev.medseg.model.nn.Graph.Init.*;

/**
 * MedVisionLlama's hybrid attention sublayer (our design; the paper names it without defining it):
 * <pre>
 *   global = MHSA(x)                                  (ViT attention over all N tokens, {@code <p>.query|key|value|out})
 *   local  = Linear(DWConv_k×k(grid(x)))              (depthwise k×k conv, padding k/2, over the g×g token grid,
 *                                                      {@code <p>.local.dwconv}, then a pointwise D→D linear
 *                                                      {@code <p>.local.proj}, both with bias)
 *   out    = σ(a) ⊙ global + (1 − σ(a)) ⊙ local       (a ∈ R^D, {@code <p>.gate}, initialised 0: an even mix)
 * </pre>
 * Tokens are (B·N, D), row-major over the grid.
 */
public final class HybridAttention {
    private HybridAttention() {}

    /** x: (B·N, D) layer-normed tokens of a grid×grid map → (B·N, D). */
    public static SDVariable apply(Graph g, String p, SDVariable x, ModelConfig.Vit v, int grid, int kernel) {
        int n = grid * grid, d = v.hidden();
        SDVariable global = VitEncoder.attention(g, p, x, v, n);
        SDVariable local = local(g, p + ".local", x, d, grid, kernel);
        SDVariable gate = g.sd().nn().sigmoid(g.param(p + ".gate", ZEROS, d, d, d));
        return local.add(global.sub(local).mul(gate));
    }

    /** The local branch alone: depthwise k×k conv over the token grid, then a pointwise linear. */
    public static SDVariable local(Graph g, String p, SDVariable x, int d, int grid, int kernel) {
        if (kernel <= 0 || kernel % 2 == 0) throw new IllegalArgumentException("local kernel must be odd, got " + kernel);
        SameDiff sd = g.sd();
        int n = grid * grid;
        SDVariable map = Tokens.toGrid(x, d, grid);
        SDVariable w = g.param(p + ".dwconv.weight", UNIFORM_FAN_IN, (long) kernel * kernel, d, kernel, kernel, d, 1);
        SDVariable b = g.param(p + ".dwconv.bias", UNIFORM_FAN_IN, (long) kernel * kernel, d, d);
        var cfg = Conv2DConfig.builder().kH(kernel).kW(kernel).sH(1).sW(1).pH(kernel / 2).pW(kernel / 2)
                .dataFormat("NCHW").build();
        SDVariable conv = sd.cnn().depthWiseConv2d(map, w, b, cfg);
        return Layers.linear(g, p + ".proj", Tokens.fromGrid(conv, d, n), d, d, true, UNIFORM_FAN_IN);
    }

    /** Trainable parameters the hybrid sublayer adds to a plain ViT attention: dwconv, pointwise proj, gate. */
    public static long extraParameters(int d, int kernel) {
        return (long) kernel * kernel * d + d + (long) d * d + d + d;
    }
}
