package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;

import java.util.List;

/**
 * y = x·Wᵀ with W a frozen constant [out, in], whose backward pass computes only dx = dy·W.
 *
 * <p>Why: SameDiff differentiates a matmul with {@code matmul_bp}, which computes both input gradients; for a
 * frozen weight the weight gradient is a full GEMM (as many FLOPs as the forward product) whose result is thrown
 * away. For LLM-TransUNet's LLaMA-7B-shaped block that is 202 M weights per token row, ~210 GFLOP per step at
 * batch 2 and 256² that PyTorch skips (requires_grad=False). How it reaches SameDiff: {@link GradientOverrides}.
 */
public final class FrozenMatmul {
    private static final String MARK = "frozenmm";

    private FrozenMatmul() {}

    /** x (M, in) · Wᵀ, W a constant (out, in). */
    public static SDVariable of(SameDiff sd, SDVariable x, SDVariable w) {
        if (!w.isConstant()) throw new IllegalArgumentException(w.name() + " is not a frozen constant");
        GradientOverrides.register("matmul", Mmul.class, Op.class);
        return GradientOverrides.name(sd, sd.mmul(x, w, false, true, false), MARK);
    }

    /** The class SameDiff re-creates every matmul as once registered. */
    public static final class Op extends Mmul {
        public Op() {}

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            if (GradientOverrides.parse(outputVariable().name(), MARK) == null) return super.doDiff(grads);
            SDVariable dy = grads.get(0);
            // The weight's "gradient" is a node nothing requests, so it never runs.
            return List.of(sameDiff.mmul(dy, rarg()), sameDiff.zerosLike(rarg()));
        }
    }
}
