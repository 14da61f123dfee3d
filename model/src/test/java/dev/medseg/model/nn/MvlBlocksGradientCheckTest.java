package dev.medseg.model.nn;

import dev.medseg.model.ModelConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.validation.GradCheckUtil;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.*;

/** Numerical gradient checks (double precision) of MedVisionLlama's new blocks. */
class MvlBlocksGradientCheckTest {
    private static DataType savedDefault;

    @BeforeAll
    static void doublePrecision() {
        savedDefault = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restore() {
        Nd4j.setDefaultDataTypes(savedDefault, savedDefault);
    }

    /**
     * Builds f(g, x) on a trainable input x, moves every trainable parameter away from its (possibly zero) start so
     * that no gradient path is trivially blocked, and checks d(sum(f·r))/d(all variables) numerically.
     */
    static void check(long[] inShape, BiFunction<Graph, SDVariable, SDVariable> f) {
        check(inShape, Set.of(), f);
    }

    static void check(long[] inShape, Set<String> skip, BiFunction<Graph, SDVariable, SDVariable> f) {
        Graph g = new Graph(Graph.Mode.EVAL, 0, 7, DataType.DOUBLE, null);
        Nd4j.getRandom().setSeed(11);
        SDVariable x = g.sd().var("x", Nd4j.rand(DataType.DOUBLE, inShape).subi(0.5).muli(2));
        SDVariable y = f.apply(g, x);
        for (String name : g.trainable().keySet()) {
            INDArray a = g.sd().getArrForVarName(name);
            a.addi(Nd4j.rand(DataType.DOUBLE, a.shape()).subi(0.5).muli(0.6));
        }
        INDArray yv = y.eval();
        // Central differences with eps 1e-6 on a loss of O(10) carry ~1e-9 of rounding noise: hence minAbsError 1e-8.
        SDVariable r = g.sd().constant("r", Nd4j.rand(DataType.DOUBLE, yv.shape()));
        y.mul(r).sum().markAsLoss();
        assertTrue(GradCheckUtil.checkGradients(g.sd(), new HashMap<>(), 1e-6, 1e-5, 1e-8, false, false, false, false,
                skip, null, 5, GradCheckUtil.Subset.RANDOM));
    }

    static final ModelConfig.Vit VIT = new ModelConfig.Vit(4, 1, 2, 8, 4, 0.0, 0.0);

    @Test void localBranchDepthwiseConvAndPointwiseLinear() {
        check(new long[]{2 * 9, 4}, (g, x) -> HybridAttention.local(g, "loc", x, 4, 3, 3));
    }

    @Test void hybridAttentionGateGlobalAndLocal() {
        check(new long[]{2 * 9, 4}, Set.of(), (g, x) -> HybridAttention.apply(g, "attn", x, VIT, 3, 3));
    }

    @Test void loraLinear() {
        check(new long[]{5, 6}, (g, x) -> LoraLinear.apply(g, "m", x, 6, 3, 2, 4.0));
    }

    @Test void fusionBlock() {
        check(new long[]{2 * 4, 4}, (g, x) -> FusionBlock.apply(g, "fusion", List.of(x, x.mul(x), g.sd().math().tanh(x)), 4));
    }

    @Test void progressiveDecoder() {
        check(new long[]{1 * 4, 3}, (g, x) -> ProgressiveDecoder.apply(g, x, 3, 2, List.of(2, 2), false));
    }
}
