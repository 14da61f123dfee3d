package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;

import java.util.Arrays;
import java.util.List;

/**
 * y = x·s where s broadcasts over some dims of x (a norm's per-channel or per-row scale), whose backward pass is
 * built from forward ops: dx = dy·s (one broadcast multiply) and ds = Σ dy·x over the broadcast dims.
 *
 * <p>Why: libnd4j's {@code multiply_bp} (1.0.0-M2.1, CPU) computes the broadcast product through a slow generic
 * path: 35–48 ms for a (2, 256, 63, 63)·(2, 256, 1, 1) GroupNorm scale, against under 1 ms for the forward
 * multiply, and a quarter of a TransUNet train step in all. When s needs no gradient (a frozen weight) its sum
 * is never run either. How it reaches SameDiff: {@link GradientOverrides}.
 */
public final class BroadcastMul {
    private static final String MARK = "bmul";

    private BroadcastMul() {}

    /**
     * x·s with s the shape of x reduced over {@code dims}: kept as size 1 when {@code keepDims}, removed otherwise
     * (then s is x's trailing dims and {@code dims} its leading ones).
     */
    public static SDVariable of(SameDiff sd, SDVariable x, SDVariable s, boolean keepDims, int... dims) {
        installed();
        return GradientOverrides.name(sd, new MulOp(sd, x, s).outputVariable(), MARK, broadcastMark(keepDims, dims));
    }

    /** The marker integers of a broadcast along {@code dims}: keepDims as 0/1, then the dims (BroadcastAdd too). */
    static int[] broadcastMark(boolean keepDims, int... dims) {
        if (dims.length == 0) throw new IllegalArgumentException("no broadcast dims");
        int[] ints = new int[dims.length + 1];
        ints[0] = keepDims ? 1 : 0;
        System.arraycopy(dims, 0, ints, 1, dims.length);
        return ints;
    }

    /**
     * Σ over the dims of a {@link #broadcastMark}: the gradient of the broadcast operand {@code b}. Over leading
     * dims into a b of static shape (a bias, a LayerNorm weight), as a product with ones ({@link ColumnSums}).
     */
    static SDVariable sumOverMark(SameDiff sd, SDVariable v, int[] mark, SDVariable b) {
        int[] dims = Arrays.copyOfRange(mark, 1, mark.length);
        long n = mark[0] == 0 && leading(dims) ? ColumnSums.staticLength(b) : -1;
        if (n > 0) return ColumnSums.of(sd, v, n).reshape(b.getShape());
        return sum(v, mark[0] == 1, dims);
    }

    private static boolean leading(int[] dims) {
        for (int i = 0; i < dims.length; i++) if (dims[i] != i) return false;
        return true;
    }

    /**
     * x·c (same shape) for a c that never needs a gradient (a dropout mask): the backward pass reads c only, so x
     * is freed after the forward pass (libnd4j's {@code multiply_bp} reads both operands).
     */
    public static SDVariable byConstant(SameDiff sd, SDVariable x, SDVariable c) {
        installed();
        return GradientOverrides.name(sd, new MulOp(sd, x, c).outputVariable(), CONSTANT_MARK);
    }

    private static final String CONSTANT_MARK = "cmul";

    /** Whether SameDiff re-creates multiplies as {@link Op}, so ours get the fast gradient. */
    public static boolean installed() {
        return GradientOverrides.register(MulOp.OP_NAME, MulOp.class, Op.class);
    }

    /**
     * Σ over {@code dims}; with kept dims, a leading dim 0 together with later dims is reduced last, after the
     * contiguous trailing dims (a strided reduction over a small array instead of over the full one).
     */
    static SDVariable sum(SDVariable v, boolean keepDims, int... dims) {
        if (!keepDims || dims.length < 2 || dims[0] != 0) return v.sum(keepDims, dims);
        return v.sum(true, Arrays.copyOfRange(dims, 1, dims.length)).sum(true, 0);
    }

    /** The class SameDiff re-creates every multiply as once installed. */
    public static final class Op extends MulOp {
        public Op() {}

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            List<SDVariable> gelu = ExactGelu.gradient(this, grads);
            if (gelu != null) return gelu;
            if (GradientOverrides.parse(outputVariable().name(), CONSTANT_MARK) != null) {
                // c is not differentiated (SameDiff asks only for inputs on a path from a trainable variable).
                return List.of(grads.get(0).mul(rarg()), sameDiff.zerosLike(rarg()));
            }
            int[] ints = GradientOverrides.parse(outputVariable().name(), MARK);
            if (ints == null || ints.length < 2) return super.doDiff(grads);
            SDVariable dy = grads.get(0);
            return List.of(dy.mul(rarg()), sumOverMark(sameDiff, dy.mul(larg()), ints, rarg()));
        }
    }
}
