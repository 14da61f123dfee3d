package dev.medseg.model.train;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** What the trainer relies on when it asks SameDiff for the sink alone: every input is computed, the output is small. */
class StepSinkTest {

    @Test
    void askingForTheSinkAloneComputesEveryInputAndReturnsOnlyAFirstInputSizedValue() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, 2, 3);
        SDVariable small = x.sum().rename("small");
        SDVariable big = x.mul(2.0).rename("big");
        SDVariable other = x.add(1.0).rename("other");
        SDVariable sink = StepSink.of(sd, small, List.of(big, other));

        Map<String, INDArray> seen = new HashMap<>();
        sd.setListeners(new BaseListener() {
            @Override
            public boolean isActive(Operation operation) {
                return true;
            }

            @Override
            public void opExecution(SameDiff s, At at, MultiDataSet batch, SameDiffOp op, OpContext ctx, INDArray[] outs) {
                for (int i = 0; i < outs.length; i++) seen.put(op.getOutputsOfOp().get(i), outs[i].dup());
            }
        });
        INDArray in = Nd4j.createFromArray(new float[][]{{1, 2, 3}, {4, 5, 6}});
        INDArray out = sd.output(Map.of("x", in), sink.name()).get(sink.name());

        assertEquals(21f, seen.get("small").getFloat(0), 0f);
        assertEquals(in.mul(2), seen.get("big"));
        assertEquals(in.add(1), seen.get("other"));
        // libnd4j's noop: an output shaped like the first input (here a scalar), never a copy of the big ones.
        assertArrayEquals(small.eval(Map.of("x", in)).shape(), out.shape());
        assertEquals(1, out.length());
    }
}
