package dev.medseg.model.nn;

import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.transforms.dtype.Cast;

import java.util.List;

/**
 * y = x·Wᵀ with W a frozen constant [out, in] (PyTorch's layout), kept as the graph keeps it
 * ({@link Graph#frozenMatrix}: as [in, out] when out ≥ in), whose backward pass computes only dx = dy·W.
 *
 * <p>Why: SameDiff differentiates a matmul with {@code matmul_bp}, which computes both input gradients; for a
 * frozen weight the weight gradient is a full GEMM (as many FLOPs as the forward product) whose result is thrown
 * away. For LLM-TransUNet's LLaMA-7B-shaped block that is 202 M weights per token row, ~210 GFLOP per step at
 * batch 2 and 256² that PyTorch skips (requires_grad=False). How it reaches SameDiff: {@link GradientOverrides}.
 *
 * <p>A W stored narrower than x (fp16/bf16, see {@link dev.medseg.model.WeightStorage}) is widened by a cast node
 * just before the product, and the backward pass widens it again with a cast of its own: the forward's wide copy
 * then dies with the forward product instead of living until the backward pass reads it.
 */
public final class FrozenMatmul {
    private static final String MARK = "frozenmm";

    private FrozenMatmul() {}

    /**
     * x (M, in) times the linear map of W in {@code g}, W a constant from {@link Graph#frozenMatrix} ([in, out] or
     * [out, in] as {@link Graph#storedTransposed} says), widened to x's type first if it is stored narrower; the
     * widening waits for the previous widened product of {@code g}'s forward pass (see {@link #widened}).
     */
    public static SDVariable of(Graph g, SDVariable x, SDVariable w) {
        SDVariable y = of(g.sd(), x, w, g.lastWidenedProduct(), g.storedTransposed(w.name()));
        if (w.dataType() != x.dataType()) g.lastWidenedProduct(y);
        return y;
    }

    private static SDVariable of(SameDiff sd, SDVariable x, SDVariable w, SDVariable after, boolean inOut) {
        if (!w.isConstant()) throw new IllegalArgumentException(w.name() + " is not a frozen constant");
        GradientOverrides.register("matmul", Mmul.class, Op.class);
        // The mark carries the layout for the gradient: 1 for [in, out] (x·W, dx = dy·Wᵀ), 0 for [out, in].
        return GradientOverrides.name(sd, sd.mmul(x, widened(w, x, after), false, !inOut, false), MARK, inOut ? 1 : 0);
    }

    /**
     * {@code w} as {@code other}'s type: itself, or a new cast of it that runs only once {@code other} (and
     * {@code after}, if not null) exists. Why the order: a cast of a constant is ready to run from the start of a
     * pass, and SameDiff runs ready ops first, so all of the block's wide copies (810 MB for LLaMA-7B's) would be made
     * before the first product; and two products reading the same input (the SwiGLU's w1 and w3) would widen both
     * matrices before either product ran, unless the second widening also waits for the first product.
     */
    static SDVariable widened(SDVariable w, SDVariable other, SDVariable after) {
        if (w.dataType() == other.dataType()) return w;
        SDVariable wide = w.getSameDiff().castTo(w, other.dataType());
        wide.addControlDependency(other);
        if (after != null) wide.addControlDependency(after);
        return wide;
    }

    /** The narrow constant a widening cast reads, or null if {@code w} is not such a cast's output. */
    static SDVariable narrowSource(SameDiff sd, SDVariable w) {
        DifferentialFunction op = sd.getVariableOutputOp(w.name());
        if (op instanceof Cast c && c.args().length == 1 && c.arg().isConstant()) return c.arg();
        return null;
    }

    /** The class SameDiff re-creates every matmul as once registered. */
    public static final class Op extends Mmul {
        public Op() {}

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            int[] mark = GradientOverrides.parse(outputVariable().name(), MARK);
            if (mark == null) return super.doDiff(grads);
            boolean inOut = mark.length > 0 && mark[0] == 1;
            SDVariable dy = grads.get(0);
            SDVariable w = rarg();
            SDVariable narrow = narrowSource(sameDiff, w);
            SDVariable wide = narrow == null ? w : widened(narrow, dy, null);
            // The weight's "gradient" is a node nothing requests, so it never runs.
            return List.of(sameDiff.mmul(dy, wide, false, inOut, false), sameDiff.zerosLike(w));
        }
    }
}
