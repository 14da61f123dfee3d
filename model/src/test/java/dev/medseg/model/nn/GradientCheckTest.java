package dev.medseg.model.nn;

import dev.medseg.model.ModelConfig;
import dev.medseg.model.TransUNet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.validation.GradCheckUtil;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.*;

/** Numerical gradient checks (double precision) of every composite op and of a whole tiny model. */
class GradientCheckTest {
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

    /** Builds f(g, x) on a trainable input x and checks d(sum(f·r))/d(all variables) numerically. */
    static void check(Graph.Mode mode, int batch, long[] inShape, BiFunction<Graph, SDVariable, SDVariable> f) {
        Graph g = new Graph(mode, batch, 7, DataType.DOUBLE, null);
        Nd4j.getRandom().setSeed(11);
        SDVariable x = g.sd().var("x", Nd4j.rand(DataType.DOUBLE, inShape).subi(0.5).muli(2));
        SDVariable y = f.apply(g, x);
        INDArray yv = y.eval();
        SDVariable r = g.sd().constant("r", Nd4j.rand(DataType.DOUBLE, yv.shape()));
        y.mul(r).sum().markAsLoss();
        // Up to 24 random entries per variable keeps this fast; every variable is covered.
        assertTrue(GradCheckUtil.checkGradients(g.sd(), new HashMap<>(), 1e-6, 1e-5, 1e-9, false, false, false, false,
                Set.of(), null, 24, GradCheckUtil.Subset.RANDOM));
    }

    @Test void groupNorm() { check(Graph.Mode.EVAL, 0, new long[]{2, 8, 3, 3}, (g, x) -> Layers.groupNorm(g, "gn", x, 4, 8, 3, 3, 1e-6)); }

    @Test void perChannelGroupNorm() { check(Graph.Mode.EVAL, 0, new long[]{2, 4, 3, 3}, (g, x) -> Layers.groupNorm(g, "gn", x, 4, 4, 3, 3, 1e-5)); }

    @Test void layerNorm() { check(Graph.Mode.EVAL, 0, new long[]{5, 6}, (g, x) -> Layers.layerNorm(g, "ln", x, 6, 1e-6)); }

    @Test void rmsNorm() {
        check(Graph.Mode.EVAL, 0, new long[]{5, 6}, (g, x) -> Layers.rmsNorm(g, x, g.param("w", Graph.Init.UNIFORM_FAN_IN, 1, 1, 6), 6, 1e-6));
    }

    @Test void batchNormInTrainingMode() { check(Graph.Mode.TRAIN, 3, new long[]{3, 4, 2, 2}, (g, x) -> Layers.batchNorm(g, "bn", x, 4, 2, 2)); }

    @Test void batchNormInEvalMode() { check(Graph.Mode.EVAL, 0, new long[]{3, 4, 2, 2}, (g, x) -> Layers.batchNorm(g, "bn", x, 4, 2, 2)); }

    @Test void weightStandardisedConv() { check(Graph.Mode.EVAL, 0, new long[]{2, 3, 5, 5}, (g, x) -> Layers.conv(g, "c", x, 3, 4, 3, 2, 1, false, true)); }

    @Test void convWithBias() { check(Graph.Mode.EVAL, 0, new long[]{2, 3, 4, 4}, (g, x) -> Layers.conv(g, "c", x, 3, 2, 1, 1, 0, true, false)); }

    @Test void bilinearUpsampling() { check(Graph.Mode.EVAL, 0, new long[]{2, 3, 3, 4}, (g, x) -> Layers.upsampleBilinear2x(g, x, 3, 3, 4)); }

    @Test void zeroPadding() { check(Graph.Mode.EVAL, 0, new long[]{1, 2, 3, 3}, (g, x) -> Layers.padBottomRight(g, x, 1)); }

    @Test void exactGelu() { check(Graph.Mode.EVAL, 0, new long[]{4, 5}, (g, x) -> Layers.gelu(g, x)); }

    @Test void exactGeluAsTrained() { check(Graph.Mode.TRAIN, 4, new long[]{4, 5}, (g, x) -> Layers.gelu(g, x)); }

    @Test void softmaxFromItsOutput() {
        check(Graph.Mode.EVAL, 0, new long[]{2, 3, 4}, (g, x) -> OutputSoftmax.of(g.sd(), x.mul(3), 2));
        check(Graph.Mode.EVAL, 0, new long[]{3, 4}, (g, x) -> OutputSoftmax.of(g.sd(), x.mul(3), 0));
    }

    @Test void linearWithBiasAndResidual() {
        check(Graph.Mode.EVAL, 0, new long[]{3, 4}, (g, x) ->
                BroadcastAdd.residual(g.sd(), x.mul(x), Layers.linear(g, "l", x, 4, 4, true, Graph.Init.UNIFORM_FAN_IN)));
    }

    @Test void shiftAlongLeadingDimsKept() {
        check(Graph.Mode.EVAL, 0, new long[]{2, 3, 2, 2}, (g, x) ->
                BroadcastAdd.of(g.sd(), x, g.param("b", Graph.Init.UNIFORM_FAN_IN, 1, 3, 1, 3, 1, 1), true, 0, 2, 3));
    }

    @Test
    void normsOfConstantRowsWithALargeMeanStayFinite() {
        // E[x²] − mean² of a constant row can round below zero in float; rsqrt(var + eps) would be NaN.
        Graph g = new Graph(Graph.Mode.EVAL, 0, 1, DataType.FLOAT, null);
        SDVariable tokens = g.sd().constant(Nd4j.valueArrayOf(new long[]{4, 768}, 1000.37f));
        SDVariable maps = g.sd().constant(Nd4j.valueArrayOf(new long[]{2, 8, 3, 3}, 1000.37f));
        for (SDVariable y : List.of(Layers.layerNorm(g, "ln", tokens, 768, 1e-6),
                Layers.groupNorm(g, "gn", maps, 4, 8, 3, 3, 1e-6))) {
            INDArray v = y.eval();
            assertEquals(0, v.isNaN().castTo(DataType.INT).sumNumber().intValue(), "NaN in " + y.name());
            // ~0 up to float rounding of x·rsqrt(eps) − mean·rsqrt(eps), with rsqrt(1e-6) = 1000 and x ≈ 1000
            assertTrue(v.amaxNumber().doubleValue() < 16, "constant rows normalise to ~0: " + v.amaxNumber());
        }
    }

    @Test
    void dropoutGradientIsTheScaledMask() {
        Graph g = new Graph(Graph.Mode.TRAIN, 4, 7, DataType.DOUBLE, null);
        SDVariable x = g.sd().var("x", Nd4j.rand(DataType.DOUBLE, 4, 50).addi(0.5));
        SDVariable y = g.dropout(x, 0.25, 4, 50);
        y.sum().markAsLoss();
        INDArray dx = g.sd().calculateGradients(Map.of(), "x").get("x");
        long kept = 0;
        for (double d : dx.reshape(-1).toDoubleVector()) {
            assertTrue(d == 0 || Math.abs(d - 1 / 0.75) < 1e-12, "gradient " + d);
            if (d != 0) kept++;
        }
        assertTrue(kept > 100 && kept < 190, kept + " of 200 kept at p = 0.25");
    }

    @Test
    void backwardPassReadsNoForwardArrayPyTorchWouldFree() {
        // Each marked op's gradient must not read these forward arrays, or SameDiff keeps them alive from the forward
        // to the backward pass (0.9 GB of a TransUNet step at 256², batch 2, before these ops existed):
        // both operands of an add (add_bp read them), a softmax's input (softmax_bp), the input of a dropout product
        // (multiply_bp), GELU's Φ (and its erf chain, which must not be differentiated at all).
        Graph g = new Graph(Graph.Mode.TRAIN, 2, 7, DataType.DOUBLE, null);
        SDVariable x = g.sd().var("x", Nd4j.rand(DataType.DOUBLE, 2 * 4, 8));
        VitEncoder.apply(g, x, new ModelConfig.Vit(8, 1, 2, 16, 16, 0.5, 0.5), 4).sum().markAsLoss();
        g.sd().calculateGradients(Map.of(), g.trainable().keySet());
        var forward = g.sd();
        var gradFn = forward.getFunction("grad");
        // marked op -> (its inputs that must stay unread, the library gradient op that would read them; "*" = any)
        Map<String, Map.Entry<List<String>, String>> checks = new HashMap<>();
        for (var op : forward.getOps().values()) {
            String out = op.getOutputsOfOp().get(0);
            List<String> in = op.getInputsToOp();
            String mark = out.contains("_") ? out.substring(0, out.indexOf('_')) : out;
            switch (mark) {
                case "badd" -> checks.put(out, Map.entry(in, "add_bp"));
                case "osm" -> checks.put(out, Map.entry(in, "softmax_bp"));
                case "cmul" -> checks.put(out, Map.entry(List.of(in.get(0)), "multiply_bp"));
                case "gelu" -> checks.put(out, Map.entry(List.of(in.get(1)), "*"));
                default -> { }
            }
        }
        assertEquals(Set.of("badd", "osm", "cmul", "gelu"), checks.keySet().stream()
                .map(k -> k.substring(0, k.indexOf('_'))).collect(java.util.stream.Collectors.toSet()));
        for (var e : checks.entrySet()) {
            String banned = e.getValue().getValue();
            for (String in : e.getValue().getKey()) {
                var readers = gradFn.getVariables().get(in).getInputsForOp();
                var late = readers == null ? List.<String>of() : readers.stream()
                        .filter(r -> !forward.getOps().containsKey(r))
                        .map(r -> gradFn.getOps().get(r).getOp().opName())
                        .filter(t -> !t.equals("zeroslike") && (banned.equals("*") || t.equals(banned))).toList();
                assertEquals(List.of(), late, in + " (an input of " + e.getKey() + ") is read by gradient ops");
            }
        }
        var opNames = gradFn.getOps().values().stream().map(op -> op.getOp().opName()).collect(java.util.stream.Collectors.toSet());
        assertFalse(opNames.contains("softmax_bp"));
        long erfs = gradFn.getOps().values().stream().filter(op -> op.getOp().opName().equals("erf")).count();
        assertEquals(2, erfs, "one erf forward, one recomputed in the backward pass; none differentiated");
    }

    @Test void reluFromItsOutput() { check(Graph.Mode.EVAL, 0, new long[]{3, 4}, (g, x) -> Layers.relu(g, x.add(0.05))); }

    @Test
    void reluGradientsReadTheReluOutputNotItsInput() {
        // relu's library gradient reads its input, so every norm output stayed alive until the backward pass beside
        // the ReLU's output (which the next convolution keeps anyway); OutputRelu's reads the output.
        assertTrue(OutputRelu.installed(), "OutputRelu could not register its gradient with ND4J");
        Graph g = new Graph(Graph.Mode.TRAIN, 2, 7, DataType.DOUBLE, null);
        SDVariable x = g.sd().var("x", Nd4j.rand(DataType.DOUBLE, 2, 8, 3, 3));
        SDVariable y = Layers.relu(g, Layers.groupNorm(g, "gn", x, 4, 8, 3, 3, 1e-6));
        Layers.relu(g, Layers.batchNorm(g, "bn", y, 8, 3, 3)).sum().markAsLoss();
        g.sd().calculateGradients(Map.of(), g.trainable().keySet());
        var ops = g.sd().getFunction("grad").getOps().values();
        assertEquals(2, g.sd().variables().stream().filter(v -> v.name().startsWith("orelu_")).count());
        // (the norms' variance clamps are ReLUs of the library's kind on (B, C)-sized arrays)
        // dx = dy·sign(y): each ReLU's gradient reads its output through a sign op (libnd4j's thresholdedrelu_bp,
        // a std::function per element, was 13x slower)
        var signOfOutput = ops.stream().filter(op -> op.getOp().opName().equals("sign"))
                .filter(op -> op.getInputsToOp().get(0).startsWith("orelu_")).toList();
        assertEquals(2, signOfOutput.size());
        assertTrue(ops.stream().filter(op -> op.getOp().opName().equals("thresholdedrelu_bp"))
                .noneMatch(op -> op.getInputsToOp().get(0).startsWith("orelu_")));
        assertTrue(ops.stream().noneMatch(op -> op.getOp().opName().equals("maximum_bp")));
    }

    @Test void maxPool() { check(Graph.Mode.EVAL, 0, new long[]{1, 2, 7, 7}, (g, x) -> Layers.maxPool(g, x, 3, 2)); }

    @Test void llamaBlockWithGroupedQueryAttentionPassesGradientToItsInput() {
        var llm = new ModelConfig.Llm(8, 4, 2, 12, 1e-6, true, false);
        check(Graph.Mode.EVAL, 0, new long[]{2 * 3, 8}, (g, x) -> LlamaBlock.apply(g, "llama.", x, llm, 3));
    }

    @Test
    void everyTrainableParameterOfAWholeModelGetsAGradientAndNoFrozenWeightDoes() {
        // A whole-model numerical check is dominated by ReLU/max-pool kinks and takes minutes; the composites are
        // checked numerically above, and here every parameter must receive a non-zero gradient.
        var c = new ModelConfig(ModelConfig.Encoder.R50_VIT, 32, 1, 3, new ModelConfig.Vit(8, 1, 2, 16, 16, 0.0, 0.0),
                32, List.of(1, 1, 1), List.of(4, 4, 4, 4), 3, java.util.Optional.of(new ModelConfig.Llm(8, 2, 1, 12, 1e-6, true, true)));
        Graph g = new Graph(Graph.Mode.TRAIN, 2, 3, DataType.DOUBLE, null);
        SDVariable logits = TransUNet.build(g, c);
        Nd4j.getRandom().setSeed(5);
        SDVariable r = g.sd().constant("r", Nd4j.rand(DataType.DOUBLE, 2, 3, 32, 32));
        logits.mul(r).sum().markAsLoss();
        var grads = g.sd().calculateGradients(Map.of(TransUNet.INPUT, Nd4j.rand(DataType.DOUBLE, 2, 1, 32, 32)),
                g.trainable().keySet());
        for (String name : g.trainable().keySet()) {
            INDArray gr = grads.get(name);
            assertNotNull(gr, "no gradient for " + name);
            assertTrue(gr.amaxNumber().doubleValue() > 0, "zero gradient for " + name);
        }
        assertEquals(9, g.frozen().size());
        for (String name : g.frozen().keySet()) {
            assertTrue(g.sd().getVariable(name).isConstant(), name + " must be a constant");
        }
    }

    @Test
    void frozenWeightsOfTheLlmBlockGetNoWeightGradientComputed() {
        // matmul_bp computes the weight's gradient too, a GEMM as large as the forward one; frozen weights skip it.
        var llm = new ModelConfig.Llm(8, 4, 2, 12, 1e-6, true, false);
        Graph g = new Graph(Graph.Mode.TRAIN, 2, 7, DataType.DOUBLE, null);
        SDVariable x = g.sd().var("x", Nd4j.rand(DataType.DOUBLE, 2 * 3, 8));
        LlamaBlock.apply(g, "llama.", x, llm, 3).sum().markAsLoss();
        g.sd().calculateGradients(Map.of(), Set.of("x"));
        var ops = g.sd().getFunction("grad").getOps().values();
        long frozenProducts = g.sd().variables().stream().filter(v -> v.name().startsWith("frozenmm_")).count();
        assertEquals(7, frozenProducts, "wq wk wv wo w1 w2 w3");
        var slow = ops.stream().filter(op -> op.getOp().opName().equals("matmul_bp"))
                .filter(op -> op.getInputsToOp().stream().anyMatch(in -> in.startsWith("frozenmm_")))
                .map(op -> op.getInputsToOp().toString()).toList();
        assertEquals(List.of(), slow, "frozen weights still differentiated by matmul_bp");
    }

    @Test
    void normScalesGetTheirGradientWithoutLibnd4jsBroadcastMultiplyBp() {
        // libnd4j's multiply_bp is ~50x slower than forward ops on broadcast operands; BroadcastMul must keep
        // every norm's scale off it (a dependency upgrade that breaks BroadcastMul.install() fails here).
        assertTrue(BroadcastMul.installed(), "BroadcastMul could not register its gradient with ND4J");
        Graph g = new Graph(Graph.Mode.TRAIN, 2, 7, DataType.DOUBLE, null);
        SDVariable x = g.sd().var("x", Nd4j.rand(DataType.DOUBLE, 2, 8, 3, 3));
        SDVariable y = Layers.groupNorm(g, "gn", x, 4, 8, 3, 3, 1e-6);
        y = Layers.batchNorm(g, "bn", y, 8, 3, 3);
        SDVariable t = Layers.layerNorm(g, "ln", y.reshape(-1, 8), 8, 1e-6);
        t = Layers.rmsNorm(g, t, g.param("w", Graph.Init.ONES, 8, 8, 8), 8, 1e-6);
        t.sum().markAsLoss();
        g.sd().calculateGradients(Map.of(), g.trainable().keySet());
        long scaled = g.sd().variables().stream().filter(v -> v.name().startsWith("bmul_")).count();
        assertEquals(5, scaled, "group and batch norm scales, layer norm weight, RMS norm scale and weight");
        var slow = g.sd().getFunction("grad").getOps().values().stream()
                .filter(op -> op.getOp().opName().equals("multiply_bp"))
                .filter(op -> op.getInputsToOp().stream().anyMatch(in -> in.startsWith("bmul_")))
                .map(op -> op.getInputsToOp().toString()).toList();
        assertEquals(List.of(), slow, "broadcast multiplies still differentiated by multiply_bp");
    }

    @Test
    void gradientSumsOverLeadingRowsAreProductsWithOnes() {
        // libnd4j's reduce_sum along dim 0 is a strided walk, 10-60x slower than the matmul op on these shapes:
        // a linear bias, a LayerNorm weight and bias, and the standardised conv weight's two statistics (ColumnSums).
        Graph g = new Graph(Graph.Mode.TRAIN, 2, 7, DataType.DOUBLE, null);
        SDVariable img = g.sd().var("img", Nd4j.rand(DataType.DOUBLE, 2, 3, 4, 4));
        SDVariable maps = Layers.conv(g, "c", img, 3, 5, 3, 1, 1, false, true);
        SDVariable tokens = maps.permute(0, 2, 3, 1).reshape(-1, 5);
        SDVariable y = Layers.layerNorm(g, "ln", Layers.linear(g, "fc", tokens, 5, 4, true, Graph.Init.XAVIER_UNIFORM), 4, 1e-6);
        y.mul(g.sd().constant(Nd4j.rand(DataType.DOUBLE, 32, 4))).sum().markAsLoss();
        g.sd().calculateGradients(Map.of(), g.trainable().keySet());
        java.util.function.Function<SameDiff, Long> products = sd -> sd.getOps().values().stream()
                .filter(op -> op.getOp().opName().equals("matmul")).count();
        long added = products.apply(g.sd().getFunction("grad")) - products.apply(g.sd());
        assertEquals(5, added, "bias, LayerNorm weight and bias, two weight statistics");
    }

    @Test
    void weightsAndTokenRowsStandardiseWithTwoNativeOpsAndTheirOwnGradient() {
        // ~13 ops forward and ~30 backward per norm before; libnd4j's batchnorm_bp throws, and moments_bp would redo
        // the statistics' paths that Standardization's gradient already holds.
        assertTrue(Standardization.installed(), "Standardization could not register its gradient with ND4J");
        Graph g = new Graph(Graph.Mode.TRAIN, 2, 7, DataType.DOUBLE, null);
        SDVariable x = g.sd().var("x", Nd4j.rand(DataType.DOUBLE, 2, 3, 5, 5));
        SDVariable y = Layers.conv(g, "c", x, 3, 8, 3, 1, 1, false, true);
        y = Layers.groupNorm(g, "gn", y, 4, 8, 5, 5, 1e-6);
        Layers.layerNorm(g, "ln", y.reshape(-1, 8), 8, 1e-6).sum().markAsLoss();
        g.sd().calculateGradients(Map.of(), g.trainable().keySet());
        var forwardOps = g.sd().getOps().values().stream().map(op -> op.getOp().opName()).toList();
        assertEquals(2, forwardOps.stream().filter("moments"::equals).count(), "the conv weight and the token rows");
        assertEquals(2, forwardOps.stream().filter("batchnorm"::equals).count());
        var gradOps = g.sd().getFunction("grad").getOps().values().stream().map(op -> op.getOp().opName()).toList();
        assertFalse(gradOps.contains("batchnorm_bp") || gradOps.contains("moments_bp"), gradOps.toString());
        assertEquals(1, gradOps.stream().filter("reduce_sqnorm_bp"::equals).count(), "the group norm's only");
    }

    @Test
    void bilinearMatchesAlignCornersFormula() {
        Graph g = new Graph(Graph.Mode.EVAL, 0, 1, DataType.DOUBLE, null);
        INDArray in = Nd4j.create(new double[]{0, 1, 2, 3, 4, 5}, new long[]{1, 1, 2, 3}, 'c');
        INDArray out = Layers.upsampleBilinear2x(g, g.sd().constant(in), 1, 2, 3).eval();
        assertArrayEquals(new long[]{1, 1, 4, 6}, out.shape());
        // out[i][j] = in at (i*(2-1)/3, j*(3-1)/5); in(y, x) = 3y + x is linear, so out = 3*i/3 + 2*j/5
        for (int i = 0; i < 4; i++) for (int j = 0; j < 6; j++) {
            assertEquals(3.0 * i / 3 + 2.0 * j / 5, out.getDouble(0, 0, i, j), 1e-12, "at " + i + "," + j);
        }
    }

    @Test
    void geluIsTheErfForm() {
        double[] expected = {-0.04550026389635842, -0.15426876936299347, 0.0, 0.8413447460685429, 2.9959507790207566};
        for (Graph.Mode mode : Graph.Mode.values()) {
            Graph g = new Graph(mode, 1, 1, DataType.DOUBLE, null);
            INDArray out = Layers.gelu(g, g.sd().constant(Nd4j.createFromArray(-2.0, -0.5, 0.0, 1.0, 3.0))).eval();
            // ND4J's erf is float-accurate (~2e-7 relative), not double-accurate.
            assertArrayEquals(expected, out.toDoubleVector(), 1e-6, mode.name());
        }
        Graph g = new Graph(Graph.Mode.TRAIN, 1, 1, DataType.FLOAT, null);
        INDArray out = Layers.gelu(g, g.sd().constant(Nd4j.createFromArray(-2f, 1f))).eval();
        assertArrayEquals(new float[]{-0.04550026f, 0.8413447f}, out.toFloatVector(), 1e-6f, "fp32 through the int bit copy");
    }
}
