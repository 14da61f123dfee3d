package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.factory.Nd4j;

import static dev.medseg.model.nn.Graph.Init.*;

/**
 * The building operations, written as composites of SameDiff ops that pass numerical gradient checks on CPU
 * (SameDiff's own batchNorm backprop, variance gradient, resizeBilinear gradient and dropout gradients are broken
 * or missing in 1.0.0-M2.1; see docs in README "Deviations and workarounds").
 *
 * <p>Layouts: activations NCHW; conv weights are stored HWIO ([kH, kW, in, out], ND4J's native conv layout, whose
 * backprop works; the OIHW option's backprop fails); linear weights are stored [out, in] like PyTorch and applied
 * as x·Wᵀ. Parameter names are the reference PyTorch state-dict keys.
 */
public final class Layers {
    private Layers() {}

    /** y = x·Wᵀ (+ b) on a 2-D input (M, in). */
    public static SDVariable linear(Graph g, String name, SDVariable x, int in, int out, boolean bias, Graph.Init init) {
        SDVariable w = g.param(name + ".weight", init, in, out, out, in);
        SDVariable y = g.sd().mmul(x, w, false, true, false);
        if (bias) {
            Graph.Init bi = init == XAVIER_UNIFORM ? NORMAL_1E6 : UNIFORM_FAN_IN;
            y = y.add(g.param(name + ".bias", bi, in, out, out));
        }
        return y;
    }

    /** A frozen linear map without bias: y = x·Wᵀ with W a shared constant [out, in]. */
    public static SDVariable frozenLinear(Graph g, String name, SDVariable x, int in, int out) {
        SDVariable w = g.frozen(name + ".weight", NORMAL_002, in, out, in);
        return g.sd().mmul(x, w, false, true, false);
    }

    /**
     * 2-D convolution, NCHW, weights HWIO. With {@code standardize} the weight is standardised per output channel
     * on every forward (TransUNet's StdConv2d: biased variance over (kH, kW, in), eps 1e-5).
     */
    public static SDVariable conv(Graph g, String name, SDVariable x, int cin, int cout, int k, int stride, int pad,
                                  boolean bias, boolean standardize) {
        SameDiff sd = g.sd();
        SDVariable w = g.param(name + ".weight", UNIFORM_FAN_IN, (long) cin * k * k, cout, k, k, cin, cout);
        if (standardize) {
            SDVariable mean = w.mean(true, 0, 1, 2);
            SDVariable centred = w.sub(mean);
            SDVariable var = sd.math().square(centred).mean(true, 0, 1, 2);
            w = centred.mul(sd.math().rsqrt(var.add(1e-5)));
        }
        var cfg = Conv2DConfig.builder().kH(k).kW(k).sH(stride).sW(stride).pH(pad).pW(pad).dataFormat("NCHW").build();
        SDVariable y = bias
                ? sd.cnn().conv2d(x, w, g.param(name + ".bias", UNIFORM_FAN_IN, (long) cin * k * k, cout, cout), cfg)
                : sd.cnn().conv2d(x, w, cfg);
        return y;
    }

    /** GroupNorm over NCHW with affine weight/bias: statistics per (sample, group) over (C/G, H, W). */
    public static SDVariable groupNorm(Graph g, String name, SDVariable x, int groups, int channels, long h, long w,
                                       double eps) {
        SameDiff sd = g.sd();
        SDVariable grouped = x.reshape(sd.constant(Nd4j.createFromArray(-1L, groups, (channels / groups) * h * w)));
        SDVariable mean = grouped.mean(true, 2);
        SDVariable centred = grouped.sub(mean);
        SDVariable var = sd.math().square(centred).mean(true, 2);
        SDVariable norm = centred.mul(sd.math().rsqrt(var.add(eps)))
                .reshape(sd.constant(Nd4j.createFromArray(-1L, channels, h, w)));
        return affineChannels(g, name, norm, channels);
    }

    /**
     * BatchNorm2d (PyTorch semantics). TRAIN: normalise with the batch's biased variance and report the batch mean
     * and unbiased variance as graph outputs for the running-statistics update (momentum 0.1, applied by the
     * trainer). EVAL: normalise with the running statistics. eps 1e-5.
     */
    public static SDVariable batchNorm(Graph g, String name, SDVariable x, int channels, long h, long w) {
        SameDiff sd = g.sd();
        SDVariable runMean = g.buffer(name + ".running_mean", 0.0, channels);
        SDVariable runVar = g.buffer(name + ".running_var", 1.0, channels);
        if (g.training()) {
            SDVariable m4 = x.mean(true, 0, 2, 3);
            SDVariable centred = x.sub(m4);
            SDVariable v4 = sd.math().square(centred).mean(true, 0, 2, 3);
            long n = (long) g.batch() * h * w;
            SDVariable bm = sd.identity(name + ".batch_mean", m4.reshape(channels));
            SDVariable bv = sd.identity(name + ".batch_var", v4.reshape(channels).mul(n / (double) Math.max(1, n - 1)));
            g.addBatchStats(new Graph.BatchStats(runMean.name(), runVar.name(), bm.name(), bv.name(), n));
            SDVariable norm = centred.mul(sd.math().rsqrt(v4.add(1e-5)));
            return affineChannels(g, name, norm, channels);
        }
        SDVariable norm = x.sub(runMean.reshape(1, channels, 1, 1))
                .mul(sd.math().rsqrt(runVar.reshape(1, channels, 1, 1).add(1e-5)));
        return affineChannels(g, name, norm, channels);
    }

    private static SDVariable affineChannels(Graph g, String name, SDVariable x, int channels) {
        SDVariable gamma = g.param(name + ".weight", ONES, channels, channels, channels).reshape(1, channels, 1, 1);
        SDVariable beta = g.param(name + ".bias", ZEROS, channels, channels, channels).reshape(1, channels, 1, 1);
        return x.mul(gamma).add(beta);
    }

    /** LayerNorm over the last axis of a 2-D (M, D) input with the given eps (SameDiff's op fixes its own eps). */
    public static SDVariable layerNorm(Graph g, String name, SDVariable x, int dim, double eps) {
        SameDiff sd = g.sd();
        SDVariable mean = x.mean(true, 1);
        SDVariable centred = x.sub(mean);
        SDVariable var = sd.math().square(centred).mean(true, 1);
        SDVariable norm = centred.mul(sd.math().rsqrt(var.add(eps)));
        return norm.mul(g.param(name + ".weight", ONES, dim, dim, dim)).add(g.param(name + ".bias", ZEROS, dim, dim, dim));
    }

    /** RMSNorm over the last axis of (M, D): x·rsqrt(mean(x²) + eps), times a weight when one is given. */
    public static SDVariable rmsNorm(Graph g, SDVariable x, SDVariable weight, double eps) {
        SameDiff sd = g.sd();
        SDVariable norm = x.mul(sd.math().rsqrt(sd.math().square(x).mean(true, 1).add(eps)));
        return weight == null ? norm : norm.mul(weight);
    }

    /** Exact GELU, 0.5·x·(1 + erf(x/√2)), as PyTorch's default (SameDiff's gelu ops are approximations). */
    public static SDVariable gelu(Graph g, SDVariable x) {
        return x.mul(0.5).mul(g.sd().math().erf(x.div(Math.sqrt(2))).add(1.0));
    }

    /** SiLU, x·sigmoid(x). */
    public static SDVariable silu(Graph g, SDVariable x) {
        return x.mul(g.sd().nn().sigmoid(x));
    }

    /** Max pooling, floor mode, no padding. */
    public static SDVariable maxPool(Graph g, SDVariable x, int k, int stride) {
        var cfg = Pooling2DConfig.builder().kH(k).kW(k).sH(stride).sW(stride).pH(0).pW(0).dH(1).dW(1)
                .paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID)
                .isNHWC(false).build();
        return g.sd().cnn().maxPooling2d(x, cfg);
    }

    /**
     * Bilinear ×2 upsampling with align_corners=True (PyTorch's UpsamplingBilinear2d) as two matrix products with
     * fixed interpolation matrices, which is exact and has a working gradient (resizeBilinear's is broken).
     */
    public static SDVariable upsampleBilinear2x(Graph g, SDVariable x, int channels, int h, int w) {
        SameDiff sd = g.sd();
        int oh = 2 * h, ow = 2 * w;
        SDVariable aw = sd.constant(Nd4j.create(Interpolation.alignCorners(w, ow), new long[]{w, ow}, g.dtype()));
        SDVariable ah = sd.constant(Nd4j.create(Interpolation.alignCorners(h, oh), new long[]{h, oh}, g.dtype()));
        // rows: (B*C*H, W)·(W, OW) -> (B, C, H, OW)
        SDVariable t = x.reshape(sd.constant(Nd4j.createFromArray(-1L, w))).mmul(aw)
                .reshape(sd.constant(Nd4j.createFromArray(-1L, channels, h, ow)));
        // columns: (B, C, OW, H) -> (B*C*OW, H)·(H, OH) -> (B, C, OW, OH) -> (B, C, OH, OW)
        SDVariable u = t.permute(0, 1, 3, 2).reshape(sd.constant(Nd4j.createFromArray(-1L, h))).mmul(ah)
                .reshape(sd.constant(Nd4j.createFromArray(-1L, channels, ow, oh)));
        return u.permute(0, 1, 3, 2);
    }

    /** Zero-pads the bottom and right of an NCHW map (TransUNet's skip-feature size fix). */
    public static SDVariable padBottomRight(Graph g, SDVariable x, int pad) {
        SameDiff sd = g.sd();
        var p = sd.constant(Nd4j.createFromArray(new int[][]{{0, 0}, {0, 0}, {0, pad}, {0, pad}}));
        return sd.nn().pad(x, p, 0.0);
    }
}
