package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
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
            y = BroadcastAdd.of(g.sd(), y, g.param(name + ".bias", bi, in, out, out), false, 0);
        }
        return y;
    }

    /**
     * A frozen linear map without bias: y = x·Wᵀ with W a shared constant [out, in] as checkpoints hold it (kept
     * transposed where that is faster, {@link Graph#frozenMatrix}), in the graph's type.
     */
    public static SDVariable frozenLinear(Graph g, String name, SDVariable x, int in, int out) {
        return frozenLinear(g, name, x, in, out, g.dtype());
    }

    /** As {@link #frozenLinear(Graph, String, SDVariable, int, int)}, with W kept as {@code storage}. */
    public static SDVariable frozenLinear(Graph g, String name, SDVariable x, int in, int out, DataType storage) {
        return FrozenMatmul.of(g, x, g.frozenMatrix(name + ".weight", NORMAL_002, in, storage, out, in));
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
            // Per output channel over (kH, kW, in).
            w = standardise(sd, w, 4, (long) k * k * cin, 1e-5, 0, 1, 2);
        }
        var cfg = Conv2DConfig.builder().kH(k).kW(k).sH(stride).sW(stride).pH(pad).pW(pad).dataFormat("NCHW").build();
        SDVariable y = bias
                ? sd.cnn().conv2d(x, w, g.param(name + ".bias", UNIFORM_FAN_IN, (long) cin * k * k, cout, cout), cfg)
                : sd.cnn().conv2d(x, w, cfg);
        return y;
    }

    /** ReLU whose gradient reads its output ({@link OutputRelu}), so its input is freed after the forward pass. */
    public static SDVariable relu(Graph g, SDVariable x) {
        return OutputRelu.of(g.sd(), x);
    }

    /**
     * GroupNorm over NCHW with affine weight/bias: statistics per (sample, group) over (C/G, H, W), biased variance.
     *
     * <p>Computed as y = x·scale + shift with per-(sample, channel) scale = γ·rsqrt(var + eps) and shift =
     * β − mean·scale. The statistics come from per-channel sums and sums of squares (fused reductions, no full-size
     * intermediate), pooled per group on (B, C)-sized arrays; so the backward pass keeps two full-size arrays instead
     * of the six of the textbook composite (centred, squared, normalised, reshaped, scaled, shifted), and the forward
     * pass reads the feature map three times instead of eight.
     */
    public static SDVariable groupNorm(Graph g, String name, SDVariable x, int groups, int channels, long h, long w,
                                       double eps) {
        SameDiff sd = g.sd();
        int perGroup = channels / groups;
        long n = (long) perGroup * h * w;
        SDVariable sum = x.sum(false, 2, 3);                      // (B, C)
        SDVariable sumSq = sd.squaredNorm(x, false, 2, 3);        // (B, C)
        SDVariable grouped = sd.constant(Nd4j.createFromArray(-1L, groups, perGroup));
        SDVariable mean = sum.reshape(grouped).sum(true, 2).div(n);               // (B, G, 1)
        SDVariable var = nonNegative(sd, sumSq.reshape(grouped).sum(true, 2).div(n).sub(sd.math().square(mean)));
        SDVariable rstd = sd.math().rsqrt(var.add(eps));
        SDVariable gamma = g.param(name + ".weight", ONES, channels, channels, channels).reshape(1, groups, perGroup);
        SDVariable beta = g.param(name + ".bias", ZEROS, channels, channels, channels).reshape(1, groups, perGroup);
        SDVariable scale = rstd.mul(gamma);                        // (B, G, C/G)
        SDVariable shift = beta.sub(mean.mul(scale));
        SDVariable perChannel = sd.constant(Nd4j.createFromArray(-1L, channels, 1L, 1L));
        return BroadcastAdd.of(sd, BroadcastMul.of(sd, x, scale.reshape(perChannel), true, 2, 3),
                shift.reshape(perChannel), true, 2, 3);
    }

    /**
     * (x − mean)·rsqrt(var + eps)·γ + β over {@code dims} (biased variance), computed as x·scale + shift with
     * scale and shift on the reduced shape, so the backward pass keeps only two full-size arrays: mean and E[x²]
     * come from fused reductions. γ and β (null: 1 and 0) must broadcast against the reduced shape.
     * Returns {result, mean, biased variance}; mean and variance keep the reduced dims (size 1).
     */
    private static SDVariable[] normalise(SameDiff sd, SDVariable x, long n, double eps, SDVariable gamma,
                                          SDVariable beta, int... dims) {
        return normalise(sd, x, n, eps, gamma, beta, v -> v, dims);
    }

    /** As above, with the sums of x and x² passed through {@code across} (a sum over a step's replicas). */
    private static SDVariable[] normalise(SameDiff sd, SDVariable x, long n, double eps, SDVariable gamma,
                                          SDVariable beta, java.util.function.UnaryOperator<SDVariable> across,
                                          int... dims) {
        SDVariable mean = across.apply(x.sum(true, dims)).div(n);
        SDVariable var = nonNegative(sd, across.apply(sd.squaredNorm(x, true, dims)).div(n).sub(sd.math().square(mean)));
        SDVariable scale = sd.math().rsqrt(var.add(eps));
        if (gamma != null) scale = scale.mul(gamma);
        SDVariable shift = mean.mul(scale).neg();
        if (beta != null) shift = shift.add(beta);
        return new SDVariable[]{BroadcastAdd.of(sd, BroadcastMul.of(sd, x, scale, true, dims), shift, true, dims), mean, var};
    }

    /**
     * (x − mean)·rsqrt(var + eps) over {@code dims}, all dims of the rank-{@code rank} x but one, {@code n} elements
     * per statistic: for weights and token rows, where a norm's arrays are small and SameDiff's per-op cost, not
     * memory traffic, is its price ({@link Standardization}: 2 ops forward, ~12 backward, against ~13 and ~30 of
     * {@link #normalise}; on activation maps {@link #normalise} stays, whose forward reads the map fewer times).
     */
    private static SDVariable standardise(SameDiff sd, SDVariable x, int rank, long n, double eps, int... dims) {
        if (!Standardization.installed()) return normalise(sd, x, n, eps, null, null, dims)[0];
        return Standardization.of(sd, x, rank, n, eps, dims).normalized();
    }

    /**
     * max(v, 0) of a variance computed as E[x²] − mean²: float rounding can make that slightly negative when |mean|
     * is large against the spread, and rsqrt(v + eps) would then be NaN (PyTorch's running formula cannot go below
     * zero). On the reduced shape only, so it costs nothing.
     */
    private static SDVariable nonNegative(SameDiff sd, SDVariable v) {
        return sd.nn().relu(v, 0);
    }

    /**
     * BatchNorm2d (PyTorch semantics). TRAIN: normalise with the batch's biased variance and report the batch mean
     * and unbiased variance as graph outputs for the running-statistics update (momentum 0.1, applied by the
     * trainer); the batch is the step's, over all replicas of the graph. EVAL: normalise with the running
     * statistics. eps 1e-5.
     */
    public static SDVariable batchNorm(Graph g, String name, SDVariable x, int channels, long h, long w) {
        SameDiff sd = g.sd();
        SDVariable runMean = g.buffer(name + ".running_mean", 0.0, channels);
        SDVariable runVar = g.buffer(name + ".running_var", 1.0, channels);
        if (g.training()) {
            long n = (long) g.batch() * g.replicas() * h * w;
            SDVariable[] st = normalise(sd, x, n, 1e-5, channelParam(g, name + ".weight", ONES, channels),
                    channelParam(g, name + ".bias", ZEROS, channels), g::sumOverReplicas, 0, 2, 3); // (1, C, 1, 1)
            SDVariable bm = sd.identity(name + ".batch_mean", st[1].reshape(channels));
            SDVariable bv = sd.identity(name + ".batch_var", st[2].reshape(channels).mul(n / (double) Math.max(1, n - 1)));
            g.addBatchStats(new Graph.BatchStats(runMean.name(), runVar.name(), bm.name(), bv.name(), n));
            return st[0];
        }
        // x·scale + shift with scale = γ·rsqrt(running_var + eps), shift = β − running_mean·scale: two passes over x.
        SDVariable scale = sd.math().rsqrt(runVar.reshape(1, channels, 1, 1).add(1e-5))
                .mul(channelParam(g, name + ".weight", ONES, channels));
        SDVariable shift = channelParam(g, name + ".bias", ZEROS, channels)
                .sub(runMean.reshape(1, channels, 1, 1).mul(scale));
        return BroadcastAdd.of(sd, BroadcastMul.of(sd, x, scale, true, 0, 2, 3), shift, true, 0, 2, 3);
    }

    /** A per-channel parameter of shape (C), seen as (1, C, 1, 1). */
    private static SDVariable channelParam(Graph g, String name, Graph.Init init, int channels) {
        return g.param(name, init, channels, channels, channels).reshape(1, channels, 1, 1);
    }

    /** LayerNorm over the last axis of a 2-D (M, D) input with the given eps (SameDiff's op fixes its own eps). */
    public static SDVariable layerNorm(Graph g, String name, SDVariable x, int dim, double eps) {
        SameDiff sd = g.sd();
        SDVariable norm = standardise(sd, x, 2, dim, eps, 1);
        return BroadcastAdd.of(sd, BroadcastMul.of(sd, norm, g.param(name + ".weight", ONES, dim, dim, dim), false, 0),
                g.param(name + ".bias", ZEROS, dim, dim, dim), false, 0);
    }

    /** RMSNorm over the last axis of (M, D): x·rsqrt(mean(x²) + eps), times a weight when one is given. */
    public static SDVariable rmsNorm(Graph g, SDVariable x, SDVariable weight, int dim, double eps) {
        SameDiff sd = g.sd();
        // mean(x²) by a fused reduction: square(x) kept x² and its derivative 2x for the backward pass.
        SDVariable norm = BroadcastMul.of(sd, x, sd.math().rsqrt(sd.squaredNorm(x, true, 1).div(dim).add(eps)), true, 1);
        return weight == null ? norm : BroadcastMul.of(sd, norm, weight, false, 0);
    }

    /** Exact GELU, x·½(1 + erf(x/√2)), as PyTorch's default ({@link ExactGelu}). */
    public static SDVariable gelu(Graph g, SDVariable x) {
        return ExactGelu.of(g.sd(), x, g.training());
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
