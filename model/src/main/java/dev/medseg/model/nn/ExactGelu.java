package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ops.custom.BitCast;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;

import java.util.List;

/**
 * Exact GELU, x·Φ(x) with Φ(x) = ½(1 + erf(x/√2)) (PyTorch's default; libnd4j's gelu ops are approximations), whose
 * backward pass keeps only x, as PyTorch's does: dx = dy·(Φ(x) + x·φ(x)), φ(x) = exp(−x²/2)/√(2π), recomputed from x
 * when dy arrives.
 *
 * <p>Why: the composite's library gradients kept ½x, 1 + erf and erf's derivative exp(−u²) (run early, as soon as
 * its input existed) from the forward to the backward pass: three arrays per MLP where PyTorch keeps one. Two
 * things make that work in SameDiff: Φ is computed from a bit-for-bit copy of x made through an integer type (a
 * {@code bitcast} round trip), so SameDiff does not differentiate the erf chain at all, and the recomputation waits
 * for dy by a control dependency instead of running, and being kept, during the forward pass. The product
 * x·Φ is a multiply marked for {@link BroadcastMul.Op}, which hands its gradient here.
 */
public final class ExactGelu {
    static final String MARK = "gelu";
    private static final double INV_SQRT2 = 1 / Math.sqrt(2);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private ExactGelu() {}

    /** GELU of x; {@code training} false builds the plain composite (no copy of x: nothing is differentiated). */
    public static SDVariable of(SameDiff sd, SDVariable x, boolean training) {
        if (!training) return x.mul(cdf(x));
        BroadcastMul.installed();
        SDVariable phi = cdf(detached(sd, x));
        return GradientOverrides.name(sd, new MulOp(sd, x, phi).outputVariable(), MARK);
    }

    /** Φ(x) = ½·erf(x/√2) + ½. */
    private static SDVariable cdf(SDVariable x) {
        return x.getSameDiff().math().erf(x.mul(INV_SQRT2)).mul(0.5).add(0.5);
    }

    /** x's values through an integer-typed array: not floating point, so no gradient flows back through it. */
    private static SDVariable detached(SameDiff sd, SDVariable x) {
        DataType fp = x.dataType();
        DataType bits = switch (fp) {
            case DOUBLE -> DataType.LONG;
            case FLOAT -> DataType.INT;
            case HALF, BFLOAT16 -> DataType.SHORT;
            default -> throw new IllegalArgumentException("GELU needs a floating-point input, got " + fp);
        };
        return bitcast(sd, bitcast(sd, x, bits), fp);
    }

    private static SDVariable bitcast(SameDiff sd, SDVariable x, DataType to) {
        BitCast op = new BitCast(sd, x, sd.constant(to.toInt()));
        op.addIArgument(to.toInt());
        return op.outputVariable();
    }

    /** The gradient of a marked product x·Φ, or null if {@code op} is another multiply. */
    static List<SDVariable> gradient(MulOp op, List<SDVariable> grads) {
        if (GradientOverrides.parse(op.outputVariable().name(), MARK) == null) return null;
        SameDiff sd = op.getSameDiff();
        SDVariable dy = grads.get(0);
        // A pass-through (no copy) of x that runs only once dy exists: everything computed from it below is made
        // and freed during the backward pass.
        SDVariable x = sd.identity(op.arg(0));
        x.addControlDependency(dy);
        SDVariable density = sd.math().exp(x.mul(x).mul(-0.5)).mul(INV_SQRT_2PI);
        SDVariable dx = dy.mul(cdf(x).add(x.mul(density)));
        // Φ's input is detached (no gradient wanted); SameDiff asks for one only for inputs it differentiates.
        return List.of(dx, sd.zerosLike(op.arg(1)));
    }
}
