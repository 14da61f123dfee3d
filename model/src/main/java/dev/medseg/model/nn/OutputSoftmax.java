package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;

import java.util.List;

/**
 * Softmax whose backward pass reads its output instead of its input: dx = y·(dy − Σ dy·y) along the axis.
 *
 * <p>Why: libnd4j's {@code softmax_bp} takes the input and recomputes the softmax, so SameDiff kept every attention
 * layer's scaled scores alive beside the probabilities the next product keeps anyway (PyTorch keeps only the
 * output): 72 MB of a TransUNet train step at 256², batch 2. How it reaches SameDiff: {@link GradientOverrides}.
 */
public final class OutputSoftmax {
    private static final String MARK = "osm";

    private OutputSoftmax() {}

    public static SDVariable of(SameDiff sd, SDVariable x, int axis) {
        if (axis < 0) throw new IllegalArgumentException("axis must be given from the front: " + axis);
        installed();
        return GradientOverrides.name(sd, new SoftMax(sd, x, axis).outputVariable(), MARK, axis);
    }

    /** Whether SameDiff re-creates softmax ops as {@link Op}, so ours get the output-based gradient. */
    public static boolean installed() {
        return GradientOverrides.register("softmax", SoftMax.class, Op.class);
    }

    /** The class SameDiff re-creates every softmax as once installed. */
    public static final class Op extends SoftMax {
        public Op() {}

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            int[] ints = GradientOverrides.parse(outputVariable().name(), MARK);
            if (ints == null || ints.length != 1) return super.doDiff(grads);
            SDVariable y = outputVariable();
            SDVariable dy = grads.get(0);
            return List.of(dy.sub(dy.mul(y).sum(true, ints[0])).mul(y));
        }
    }
}
