package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;

import java.util.List;

/**
 * x + b whose backward pass reads neither operand: dx = dy (passed through, no copy) and db = dy, or Σ dy over the
 * dims b is broadcast along (a bias, a norm's shift).
 *
 * <p>Why: libnd4j's {@code add_bp} takes both operands (for their shapes), so SameDiff keeps them alive from the
 * forward pass to the backward pass: every linear layer's product before its bias, every norm's x·scale before its
 * shift and both sides of every residual sum — 0.5 GB of a TransUNet train step's peak at 256², batch 2, none of
 * which PyTorch keeps. The identity that carries dy costs nothing (SameDiff's session passes identity inputs through).
 * How it reaches SameDiff: {@link GradientOverrides}.
 */
public final class BroadcastAdd {
    private static final String MARK = "badd";

    private BroadcastAdd() {}

    /**
     * x + b with b the shape of x reduced over {@code dims}: kept as size 1 when {@code keepDims}, removed otherwise
     * (then b is x's trailing dims and {@code dims} its leading ones).
     */
    public static SDVariable of(SameDiff sd, SDVariable x, SDVariable b, boolean keepDims, int... dims) {
        if (dims.length == 0) throw new IllegalArgumentException("no broadcast dims: use residual");
        installed();
        return GradientOverrides.name(sd, new AddOp(sd, x, b).outputVariable(), MARK,
                BroadcastMul.broadcastMark(keepDims, dims));
    }

    /** a + b of one shape (a residual connection). */
    public static SDVariable residual(SameDiff sd, SDVariable a, SDVariable b) {
        installed();
        return GradientOverrides.name(sd, new AddOp(sd, a, b).outputVariable(), MARK);
    }

    /** Whether SameDiff re-creates adds as {@link Op}, so ours get the input-free gradient. */
    public static boolean installed() {
        return GradientOverrides.register(AddOp.OP_NAME, AddOp.class, Op.class);
    }

    /** The class SameDiff re-creates every add as once installed. */
    public static final class Op extends AddOp {
        public Op() {}

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            int[] ints = GradientOverrides.parse(outputVariable().name(), MARK);
            if (ints == null || ints.length == 1) return super.doDiff(grads);
            SDVariable dy = grads.get(0);
            // Each gradient needs a variable of its own: SameDiff names it "<input>-grad".
            SDVariable dx = sameDiff.identity(dy);
            if (ints.length == 0) return List.of(dx, sameDiff.identity(dy));
            return List.of(dx, BroadcastMul.sumOverMark(sameDiff, dy, ints, arg(1)));
        }
    }
}
