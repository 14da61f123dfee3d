package dev.medseg.model.nn;

import dev.medseg.model.ModelConfig;
import dev.medseg.model.SegmentationNetwork;
import dev.medseg.model.TransUNet;
import dev.medseg.model.WeightStorage;
import dev.medseg.model.train.Optimizer;
import dev.medseg.model.train.SegmentationLoss;
import dev.medseg.model.train.SegmentationTrainer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.dtype.Cast;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The frozen LLM block kept in half precision (model.llm.storage): for weights that half precision holds exactly (a
 * half-precision checkpoint) the forward pass, the loss and the updated parameters equal those of fp32 storage, and
 * the matrices really are stored at two bytes per weight.
 */
class FrozenStorageTest {
    private static final int SIZE = 32;
    private static final ModelConfig FP32 = ModelConfig.testing(3, SIZE, true);

    @ParameterizedTest
    @EnumSource(value = WeightStorage.class, names = {"FLOAT16", "BFLOAT16"})
    void halfStorageOfHalfWeightsGivesTheFp32Logits(WeightStorage storage) {
        Map<String, INDArray> wide = halfValuedBlock(storage);
        ModelConfig narrowCfg = narrow(storage);
        Graph a = eval(FP32, wide::get);
        Graph b = eval(narrowCfg, stored(wide, storage)::get);

        for (var e : b.frozen().entrySet()) {
            INDArray arr = b.sd().getArrForVarName(e.getKey());
            DataType expected = e.getValue().length == 2 ? storage.dataType() : DataType.FLOAT;
            assertEquals(expected, arr.dataType(), e.getKey());
        }
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 1, SIZE, SIZE);
        INDArray ya = Inference.output(a.sd(), Map.of(TransUNet.INPUT, x), TransUNet.LOGITS).get(TransUNet.LOGITS);
        INDArray yb = Inference.output(b.sd(), Map.of(TransUNet.INPUT, x), TransUNet.LOGITS).get(TransUNet.LOGITS);
        assertEquals(DataType.FLOAT, yb.dataType());
        // The widening is exact and the products are the same fp32 GEMMs: equal, not merely close
        // (INDArray.equals would allow 1e-5).
        assertArrayEquals(ya.data().asFloat(), yb.data().asFloat());
    }

    @Test
    void halfStorageTrainsAsFp32StorageOfTheSameWeights() {
        WeightStorage storage = WeightStorage.FLOAT16;
        Map<String, INDArray> wide = halfValuedBlock(storage);
        Optimizer sgd = new Optimizer.Sgd(0.9, 1e-4);
        var a = new SegmentationTrainer(FP32, SegmentationLoss.CE_DICE, sgd, 2, 11, wide::get);
        var b = new SegmentationTrainer(narrow(storage), SegmentationLoss.CE_DICE, sgd, 2, 11, stored(wide, storage)::get);
        SplittableRandom r = new SplittableRandom(5);
        float[] images = new float[2 * SIZE * SIZE];
        byte[] labels = new byte[2 * SIZE * SIZE];
        for (int i = 0; i < images.length; i++) images[i] = (float) r.nextDouble();
        for (int i = 0; i < labels.length; i++) labels[i] = (byte) r.nextInt(3);
        for (int step = 0; step < 2; step++) {
            double la = a.step(images, labels, 0.01, step).loss();
            double lb = b.step(images, labels, 0.01, step).loss();
            assertEquals(la, lb, 0.0, "loss at step " + step);
        }
        assertArrayEquals(a.state().params(), b.state().params(), "parameters after two steps");
    }

    @Test
    void theBackwardPassWidensTheMatrixAgainInsteadOfKeepingTheForwardCopy() {
        WeightStorage storage = WeightStorage.BFLOAT16;
        var t = new SegmentationTrainer(narrow(storage), SegmentationLoss.CE_DICE, new Optimizer.Sgd(0.9, 0), 2, 3, null);
        SameDiff grad = t.graph().sd().getFunction("grad");
        SameDiff sd = grad != null ? grad : t.graph().sd();
        Map<String, Integer> castsOf = new HashMap<>();
        for (DifferentialFunction op : sd.ops()) {
            if (op instanceof Cast c && c.arg().isConstant()) {
                castsOf.merge(c.arg().name(), 1, Integer::sum);
                // each wide copy feeds one product (the forward one, or dx's), so it dies with that product
                String out = c.outputVariable().name();
                long products = sd.getVariables().get(out).getInputsForOp().stream()
                        .filter(o -> sd.getOpById(o) instanceof org.nd4j.linalg.api.ops.impl.reduce.Mmul).count();
                assertEquals(1, products, out + " feeds " + sd.getVariables().get(out).getInputsForOp());
                // and waits for the product's other input: a cast of a constant is ready at the start of a pass, and
                // without this SameDiff would make every wide copy before the first product
                var own = sd.getOps().get(c.getOwnName());
                boolean waits = (own.getControlDeps() != null && !own.getControlDeps().isEmpty())
                        || (own.getVarControlDeps() != null && !own.getVarControlDeps().isEmpty());
                assertTrue(waits, "the widening of " + c.arg().name() + " (" + out + ") runs whenever SameDiff likes");
            }
        }
        long matrices = t.graph().frozen().values().stream().filter(s -> s.length == 2).count();
        assertEquals(matrices, castsOf.size(), "every stored matrix is widened: " + castsOf);
        castsOf.forEach((w, n) -> assertEquals(2, n, w + ": one widening for the forward product, one for dx"));
    }

    @Test
    void theBlockOutputForInspectionIsASideBranchNotARename() {
        // renaming the block's last node would drop the gradient override its generated name is keyed on
        Graph g = eval(FP32, null);
        DifferentialFunction op = g.sd().getVariableOutputOp(TransUNet.LLM_OUTPUT);
        assertEquals("identity", op.opName());
        String last = op.arg().name();
        assertTrue(!last.equals(TransUNet.LLM_OUTPUT) && g.sd().getVariableOutputOp(last) != null, last);
    }

    private static ModelConfig narrow(WeightStorage s) {
        return FP32.withLlm(FP32.llm().orElseThrow().withStorage(s));
    }

    private static Graph eval(ModelConfig cfg, java.util.function.Function<String, INDArray> frozen) {
        Graph g = new Graph(Graph.Mode.EVAL, 0, 7, DataType.FLOAT, frozen);
        SegmentationNetwork.build(g, cfg);
        return g;
    }

    /** The tiny block's weights as fp32 arrays holding values {@code storage} represents exactly (norms untouched). */
    private static Map<String, INDArray> halfValuedBlock(WeightStorage storage) {
        Graph g = eval(FP32, null);
        Map<String, INDArray> out = new HashMap<>();
        for (var e : g.frozen().entrySet()) {
            INDArray w = g.sd().getArrForVarName(e.getKey()).dup();
            // scale up so that rounding to half precision really changes the fp32 draws
            out.put(e.getKey(), e.getValue().length == 2 ? w.muli(7.3).castTo(storage.dataType()).castTo(DataType.FLOAT) : w);
        }
        return out;
    }

    /** {@code wide} as the loader hands it over for {@code storage}: matrices narrowed, norms in fp32. */
    private static Map<String, INDArray> stored(Map<String, INDArray> wide, WeightStorage storage) {
        Map<String, INDArray> out = new HashMap<>();
        wide.forEach((k, v) -> out.put(k, v.rank() == 2 ? v.castTo(storage.dataType()) : v));
        return out;
    }
}
