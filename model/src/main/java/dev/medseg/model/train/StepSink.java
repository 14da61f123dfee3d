package dev.medseg.model.train;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;

import java.util.List;

/**
 * One node of the gradient function that reads everything a training step needs (the loss, the BatchNorm batch
 * statistics, every parameter's gradient) and does nothing with it (libnd4j's {@code noop}): a step asks SameDiff
 * for this node's output alone and takes the values themselves from {@link EagerRelease}, which pins them.
 *
 * <p>Why: SameDiff 1.0.0-M2.1 checks each requested output against a fresh copy of the whole variable map
 * ({@code AbstractSession.output} calls {@code SameDiff.variableMap()}, a LinkedHashMap of ~9,500 entries for
 * TransUNet, once per output). Asking for ~400 outputs cost 0.17 s of Java per step and most of the step's Java
 * garbage (A/B at 32 px, where little else happens: 0.95 → 0.78 s per step). A node that concatenated the gradients
 * would do the same at the price of a parameter-sized copy (tried: +380 MB peak RSS).
 */
final class StepSink extends DynamicCustomOp {
    private StepSink(SameDiff sd, SDVariable[] inputs) {
        super(sd, inputs);
    }

    /**
     * The sink of {@code first} and {@code rest}, as a new variable of {@code gradFn}. libnd4j's noop wants an output
     * shaped like its first input, so {@code first} should be small (the scalar loss).
     */
    static SDVariable of(SameDiff gradFn, SDVariable first, List<SDVariable> rest) {
        SDVariable[] in = new SDVariable[rest.size() + 1];
        in[0] = first;
        for (int i = 0; i < rest.size(); i++) in[i + 1] = rest.get(i);
        return new StepSink(gradFn, in).outputVariable();
    }

    @Override
    public String opName() {
        return "noop";
    }

    @Override
    public int getNumOutputs() {
        return 1;
    }

    @Override
    public List<LongShapeDescriptor> calculateOutputShape(OpContext oc) {
        return List.of(oc.getInputArray(0).shapeDescriptor());
    }

    @Override
    public List<DataType> calculateOutputDataTypes(List<DataType> inputs) {
        return List.of(inputs.get(0));
    }
}
