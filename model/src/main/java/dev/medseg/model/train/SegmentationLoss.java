package dev.medseg.model.train;

import dev.medseg.model.nn.Graph;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

import java.util.Locale;

/**
 * The training losses of the reference recipes, built into the graph on top of the logits. Both take a float
 * target placeholder {@value #TARGET} of the logits' shape: one-hot over all classes (background included) for
 * {@link #CE_DICE}, the 0/1 mask for {@link #BCE_DICE}. Composites of ops whose gradients pass numerical checks
 * (SameDiff's sigmoidCrossEntropy gradient is slightly off on CPU).
 */
public enum SegmentationLoss {
    /**
     * TransUNet's multi-class loss: 0.5·CrossEntropy (mean over pixels) + 0.5·DiceLoss, where DiceLoss is the mean
     * over classes (background included) of 1 − (2Σpg + 1e-5)/(Σp² + Σg² + 1e-5), sums over the whole batch.
     */
    CE_DICE,
    /**
     * The 2-D binary loss of the UNeXt lineage: 0.5·BCEWithLogits (mean over pixels) + 1 − mean over samples of
     * the soft Dice (2Σpg + 1e-5)/(Σp + Σg + 1e-5) on sigmoid outputs.
     */
    BCE_DICE;

    public static final String TARGET = "target";
    public static final String LOSS = "loss";
    static final double SMOOTH = 1e-5;

    /** Parses the config spelling ({@code ce-dice}, {@code bce-dice}). */
    public static SegmentationLoss parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "ce-dice" -> CE_DICE;
            case "bce-dice" -> BCE_DICE;
            default -> throw new IllegalArgumentException("unknown loss '" + s + "' (ce-dice | bce-dice)");
        };
    }

    /** The config spelling. */
    public String id() {
        return this == CE_DICE ? "ce-dice" : "bce-dice";
    }

    /** Checks that the loss fits the model's output: CE needs ≥ 2 classes, BCE exactly one logit. */
    public void checkClasses(int numClasses) {
        if (this == CE_DICE && numClasses < 2) {
            throw new IllegalArgumentException("loss ce-dice needs model.numClasses >= 2 (background included), got " + numClasses);
        }
        if (this == BCE_DICE && numClasses != 1) {
            throw new IllegalArgumentException("loss bce-dice needs model.numClasses = 1 (one sigmoid logit), got " + numClasses);
        }
    }

    /**
     * Adds the target placeholder (static shape B, K, H, W) and the scalar loss {@value #LOSS}, marked as the
     * graph's loss. For a graph run as R replicas (B samples each), each replica's loss is its share ℓ_r of the
     * step's loss L = Σ_r ℓ_r over all R·B samples: means over its own pixels and samples divided by R, Dice sums
     * over the batch taken over all replicas ({@link Graph#sumOverReplicas}).
     */
    public SDVariable build(Graph g, SDVariable logits, int batch, int numClasses, int height, int width) {
        SDVariable target = g.sd().placeHolder(TARGET, g.dtype(), batch, numClasses, height, width);
        SDVariable loss = build(g.sd(), logits, target, g::sumOverReplicas);
        if (g.replicas() > 1) loss = loss.div(g.replicas());
        SDVariable named = g.sd().identity(LOSS, loss);
        named.markAsLoss();
        return named;
    }

    /** The loss of {@code logits} against {@code target} (both B, K, H, W); public for gradient checks. */
    public SDVariable build(SameDiff sd, SDVariable logits, SDVariable target) {
        return build(sd, logits, target, v -> v);
    }

    /** As above, with the sums over the batch passed through {@code batchSum} (a sum over a step's replicas). */
    private SDVariable build(SameDiff sd, SDVariable logits, SDVariable target,
                             java.util.function.UnaryOperator<SDVariable> batchSum) {
        return switch (this) {
            case CE_DICE -> crossEntropyPlusDice(sd, logits, target, batchSum);
            case BCE_DICE -> binaryCrossEntropy(sd, logits, target).mul(0.5).add(softDice(sd, logits, target));
        };
    }

    /**
     * 0.5·CE + 0.5·Dice from one log-softmax over the class axis moved last (B, H, W, K): the layout in which
     * libnd4j's log_softmax is right and fast (its softmax over axis 1 of NCHW gave wrong values, M2.1), and
     * no max-shift composite is needed, whose reduce_max_bp took 130 ms per call at 2×9×256×256.
     *
     * <p>CE = −mean over pixels of Σ_c g_c·log p_c. Dice = mean_c (1 − d_c), d_c = (2Σpg + 1e-5)/(Σp² + Σg² + 1e-5)
     * with sums over the whole batch and p = exp(log p), as TransUNet's DiceLoss.
     */
    private static SDVariable crossEntropyPlusDice(SameDiff sd, SDVariable x, SDVariable t,
                                                   java.util.function.UnaryOperator<SDVariable> batchSum) {
        // The overload without a dimension (last axis): the one with it breaks SameDiff's copy of the op.
        SDVariable logp = sd.nn().logSoftmax(x.permute(0, 2, 3, 1));
        SDVariable g = t.permute(0, 2, 3, 1);
        SDVariable ce = logp.mul(g).sum(true, 3).mean().neg();
        SDVariable p = sd.math().exp(logp);
        SDVariable inter = batchSum.apply(p.mul(g).sum(0, 1, 2));
        SDVariable den = batchSum.apply(p.mul(p).sum(0, 1, 2).add(g.mul(g).sum(0, 1, 2)));
        SDVariable d = inter.mul(2).add(SMOOTH).div(den.add(SMOOTH));
        return ce.mul(0.5).add(d.rsub(1.0).mean().mul(0.5));
    }

    /** mean of max(x, 0) − x·t + log(1 + exp(−|x|)): PyTorch's stable BCEWithLogits. */
    private static SDVariable binaryCrossEntropy(SameDiff sd, SDVariable x, SDVariable t) {
        SDVariable softplusNegAbs = sd.math().log(sd.math().exp(sd.math().abs(x).neg()).add(1.0));
        return sd.nn().relu(x, 0).sub(x.mul(t)).add(softplusNegAbs).mean();
    }

    /** 1 − mean over samples of (2Σpg + 1e-5)/(Σp + Σg + 1e-5) with p = sigmoid(x). */
    private static SDVariable softDice(SameDiff sd, SDVariable x, SDVariable t) {
        SDVariable p = sd.nn().sigmoid(x);
        SDVariable inter = p.mul(t).sum(1, 2, 3);
        SDVariable den = p.sum(1, 2, 3).add(t.sum(1, 2, 3));
        return inter.mul(2).add(SMOOTH).div(den.add(SMOOTH)).mean().rsub(1.0);
    }

    /**
     * Builds the target tensor for {@code labels} (B·H·W class ids, C order): one-hot (B, K, H, W) for CE_DICE,
     * the (B, 1, H, W) mask for BCE_DICE (any id > 0 is foreground). Ids ≥ numClasses are rejected.
     */
    public float[] target(byte[] labels, int batch, int numClasses, int height, int width) {
        int plane = height * width;
        if (labels.length != batch * plane) {
            throw new IllegalArgumentException("labels have " + labels.length + " values, expected " + batch * plane);
        }
        float[] out = new float[batch * numClasses * plane];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < plane; i++) {
                int id = labels[b * plane + i] & 0xFF;
                if (this == BCE_DICE) {
                    if (id > 0) out[b * plane + i] = 1f;
                } else {
                    if (id >= numClasses) {
                        throw new IllegalArgumentException("label id " + id + " at sample " + b + " is outside the "
                                + numClasses + " classes of the model");
                    }
                    out[(b * numClasses + id) * plane + i] = 1f;
                }
            }
        }
        return out;
    }
}
