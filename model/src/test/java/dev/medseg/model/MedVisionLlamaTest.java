package dev.medseg.model;

import dev.medseg.model.nn.Graph;
import dev.medseg.model.train.Optimizer;
import dev.medseg.model.train.SegmentationLoss;
import dev.medseg.model.train.SegmentationTrainer;
import dev.medseg.model.train.TrainState;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** MedVisionLlama's graph: shapes for every option, parameter count, frozen weights, training on phantoms. */
class MedVisionLlamaTest {
    static final ModelConfig.Llm GQA = new ModelConfig.Llm(16, 4, 2, 24, 1e-5, true, true);

    /** A tiny MedVisionLlama: ViT D=8, 2 blocks, patch 16 (4 decoder stages), GQA block of width 16. */
    static ModelConfig tiny(int size, int classes, boolean hybrid, String adapters, String position, List<Integer> fusion,
                            boolean withLlm) {
        var base = new ModelConfig(ModelConfig.Encoder.VIT, size, 1, classes, new ModelConfig.Vit(8, 2, 2, 16, 16, 0.0, 0.0),
                32, List.of(1, 1, 1), List.of(8, 8, 4, 4), 0, withLlm ? Optional.of(GQA) : Optional.empty(), false,
                Optional.empty());
        return base.withMvl(new ModelConfig.Mvl(hybrid, 3, fusion, adapters, 2, 4.0, position));
    }

    static List<ModelConfig> everyCombination(int size) {
        List<ModelConfig> out = new ArrayList<>();
        for (boolean hybrid : new boolean[]{true, false})
            for (String adapters : List.of("linear", "lora"))
                for (String position : List.of("after-encoder", "after-embedding"))
                    for (List<Integer> fusion : List.of(List.<Integer>of(), List.of(1, 2)))
                        out.add(tiny(size, 1, hybrid, adapters, position, fusion, true));
        return out;
    }

    static long count(Map<String, long[]> shapes) {
        long n = 0;
        for (long[] s : shapes.values()) {
            long k = 1;
            for (long x : s) k *= x;
            n += k;
        }
        return n;
    }

    @Test
    void everyOptionCombinationMapsAnImageToFullSizeLogitsAndMatchesTheParameterFormula() {
        for (int size : new int[]{32, 64}) {
            List<ModelConfig> configs = new ArrayList<>(everyCombination(size));
            configs.add(tiny(size, 3, true, "linear", "after-encoder", List.of(1), false)); // the ViT ablation
            for (ModelConfig c : configs) {
                Graph g = new Graph(Graph.Mode.EVAL, 0, 5, DataType.FLOAT, null);
                SDVariable logits = SegmentationNetwork.build(g, c);
                INDArray x = Nd4j.rand(DataType.FLOAT, 2, 1, size, size);
                INDArray y = g.sd().output(Map.of(TransUNet.INPUT, x), TransUNet.LOGITS).get(TransUNet.LOGITS);
                String what = size + "px " + c.mvl().orElseThrow() + " llm=" + c.llm().isPresent();
                assertArrayEquals(new long[]{2, c.numClasses(), size, size}, y.shape(), what);
                assertTrue(Double.isFinite(y.sumNumber().doubleValue()), what);
                assertTrue(y.stdNumber().doubleValue() > 0, "constant logits: " + what);
                assertEquals(MedVisionLlama.trainableParameters(c), count(g.trainable()), what);
                boolean lora = c.llm().isPresent() && c.mvl().get().adapters().equals("lora");
                assertEquals(c.llm().isEmpty() ? 0 : lora ? 11 : 9, g.frozen().size(), what);
                assertEquals(logits.name(), TransUNet.LOGITS);
            }
        }
    }

    @Test
    void parameterFormulaMatchesAHandCount() {
        // hybrid, linear adapters, after-encoder, fusion over block 1 + LLM tokens, 32px, 1 class, D=8, mlp 16:
        long embed = 16 * 16 * 8 + 8 + 4 * 8;                        // patch conv + bias + positions (g=2)
        long block = 4 * 8 + 4 * (64 + 8) + (8 * 16 + 16) + (16 * 8 + 8) // norms, q/k/v/out, fc1, fc2
                + (9 * 8 + 8) + (64 + 8) + 8;                        // dwconv, pointwise proj, gate
        long adapters = 2 * 8 * 16;
        long fusion = 2 * (16 + 72) + 16 * 8 + 8;                    // 2 x (LN + proj), fuse 16->8
        long decoder = (9 * 8 * 8 + 8 + 9 * 8 * 8 + 8) + (9 * 8 * 8 + 8 + 9 * 8 * 8 + 8)
                + (9 * 8 * 4 + 4 + 9 * 4 * 4 + 4) + (9 * 4 * 4 + 4 + 9 * 4 * 4 + 4);
        long head = 9 * 4 + 1;
        ModelConfig c = tiny(32, 1, true, "linear", "after-encoder", List.of(1), true);
        assertEquals(embed + 2 * block + adapters + fusion + decoder + head, MedVisionLlama.trainableParameters(c));
    }

    @Test
    void batchNormDecoderAndDropoutBuildInTrainingMode() {
        ModelConfig c = new ModelConfig(ModelConfig.Encoder.VIT, 32, 3, 2, new ModelConfig.Vit(8, 2, 2, 16, 8, 0.1, 0.1),
                32, List.of(1, 1, 1), List.of(8, 8, 4, 4), 0, Optional.of(GQA), true, Optional.empty())
                .withMvl(new ModelConfig.Mvl(true, 5, List.of(2), "lora", 2, 2.0, "after-embedding"));
        Graph g = new Graph(Graph.Mode.TRAIN, 2, 5, DataType.FLOAT, null);
        MedVisionLlama.build(g, c);
        assertEquals(MedVisionLlama.trainableParameters(c), count(g.trainable()));
        assertEquals(6, g.batchStats().size(), "3 decoder stages (patch 8) x 2 convs with BatchNorm");
        Nd4j.getRandom().setSeed(1);
        INDArray y = g.sd().output(Map.of(TransUNet.INPUT, Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32)), TransUNet.LOGITS)
                .get(TransUNet.LOGITS);
        assertArrayEquals(new long[]{2, 2, 32, 32}, y.shape());
    }

    @Test
    void unsupportedPatchSizesAndNonMvlConfigsAreRefused() {
        ModelConfig c = new ModelConfig(ModelConfig.Encoder.VIT, 48, 1, 1, new ModelConfig.Vit(8, 1, 2, 16, 12, 0.0, 0.0),
                32, List.of(1, 1, 1), List.of(8, 8, 4, 4), 0, Optional.empty(), false, Optional.empty())
                .withMvl(new ModelConfig.Mvl(false, 3, List.of(), "linear", 2, 4.0, "after-encoder"));
        var e = assertThrows(IllegalArgumentException.class,
                () -> MedVisionLlama.build(new Graph(Graph.Mode.EVAL, 0, 1, DataType.FLOAT, null), c));
        assertTrue(e.getMessage().contains("vit.patchSize must be 2, 4, 8 or 16, got 12"), e.getMessage());
        var t = assertThrows(IllegalArgumentException.class, () -> MedVisionLlama.trainableParameters(ModelConfig.testing(1, 32, true)));
        assertTrue(t.getMessage().contains("not a MedVisionLlama config"), t.getMessage());
    }

    @Test
    void everyTrainableParameterGetsAGradient() {
        ModelConfig c = tiny(32, 1, true, "lora", "after-encoder", List.of(1), true);
        Graph g = new Graph(Graph.Mode.EVAL, 0, 3, DataType.FLOAT, null);
        SDVariable logits = MedVisionLlama.build(g, c);
        // lora_B starts at zero, which blocks lora_A's gradient at init; move it so both paths are live.
        for (String name : g.trainable().keySet()) {
            if (name.endsWith("lora_B")) g.sd().getArrForVarName(name).assign(0.1);
        }
        Nd4j.getRandom().setSeed(5);
        logits.mul(g.sd().constant("r", Nd4j.rand(DataType.FLOAT, 2, 1, 32, 32))).sum().markAsLoss();
        var grads = g.sd().calculateGradients(Map.of(TransUNet.INPUT, Nd4j.rand(DataType.FLOAT, 2, 1, 32, 32)),
                g.trainable().keySet());
        for (String name : g.trainable().keySet()) {
            assertNotNull(grads.get(name), "no gradient for " + name);
            assertTrue(grads.get(name).amaxNumber().doubleValue() > 0, "zero gradient for " + name);
        }
        for (String name : g.frozen().keySet()) {
            assertTrue(g.sd().getVariable(name).isConstant(), name + " must be a constant");
        }
    }

    @Test
    void frozenLlmAndLoraBaseWeightsStayPutWhileTrainableOnesMove() {
        ModelConfig c = tiny(32, 1, true, "lora", "after-embedding", List.of(1), true);
        Map<String, INDArray> llm = new HashMap<>();
        Nd4j.getRandom().setSeed(9);
        var probe = new Graph(Graph.Mode.EVAL, 0, 1, DataType.FLOAT, null);
        MedVisionLlama.build(probe, c);
        for (var e : probe.frozen().entrySet()) {
            if (e.getKey().startsWith(LlmWeights.GRAPH_PREFIX)) llm.put(e.getKey(), Nd4j.rand(DataType.FLOAT, e.getValue()).subi(0.5));
        }
        var t = new SegmentationTrainer(c, SegmentationLoss.BCE_DICE, new Optimizer.Adam(0.9, 0.999, 1e-8, 0), 2, 4, llm::get);
        Map<String, long[]> frozen = t.graph().frozen();
        assertEquals(11, frozen.size());
        assertTrue(frozen.containsKey("transformer.llama_dim_mapper1.weight"));
        assertTrue(frozen.containsKey("transformer.llama_dim_mapper2.weight"));
        Map<String, INDArray> before = new HashMap<>();
        for (String name : frozen.keySet()) {
            assertFalse(t.params().shapes().containsKey(name), name + " is trainable");
            before.put(name, t.graph().sd().getArrForVarName(name).dup());
        }
        for (String name : llm.keySet()) assertSame(llm.get(name), t.graph().sd().getArrForVarName(name), name + " was copied");
        Map<String, INDArray> start = t.parameters();
        Squares b = Squares.of(2, 32);
        for (int i = 0; i < 3; i++) t.step(b.images, b.labels, 1e-2, i);
        for (String name : frozen.keySet()) {
            assertEquals(before.get(name), t.graph().sd().getArrForVarName(name), name + " changed");
        }
        Map<String, INDArray> end = t.parameters();
        for (String name : List.of("transformer.llama_dim_mapper1.lora_A", "transformer.llama_dim_mapper1.lora_B",
                "transformer.llama_dim_mapper2.bias", "transformer.encoder.layer.0.attn.gate",
                "transformer.encoder.layer.1.attn.local.dwconv.weight", "fusion.fuse.weight", "segmentation_head.0.weight")) {
            assertTrue(start.get(name).sub(end.get(name)).amaxNumber().doubleValue() > 0, name + " did not move");
        }
    }

    @Test
    void aTinyMedVisionLlamaLearnsBrightSquares() {
        // Patch 4 (an 8x8 token grid, two decoder stages): square edges fall inside patches at patch 16.
        ModelConfig c = new ModelConfig(ModelConfig.Encoder.VIT, 32, 1, 1, new ModelConfig.Vit(16, 2, 2, 32, 4, 0.0, 0.0),
                32, List.of(1, 1, 1), List.of(8, 8, 8, 8), 0, Optional.of(GQA), false, Optional.empty())
                .withMvl(new ModelConfig.Mvl(true, 3, List.of(1), "linear", 2, 4.0, "after-encoder"));
        var t = new SegmentationTrainer(c, SegmentationLoss.BCE_DICE, new Optimizer.Adam(0.9, 0.999, 1e-8, 0), 2, 3, null);
        Squares b = Squares.of(2, 32);
        double first = t.step(b.images, b.labels, 1e-2, 0).loss(), last = first;
        for (int i = 1; i < 30; i++) last = t.step(b.images, b.labels, 1e-2, i).loss();
        assertTrue(last < 0.45 * first, "loss went from " + first + " to " + last);
        TrainState s = t.state();
        assertEquals(30, s.step());
    }

    /** Bright squares on a dark background, labelled foreground. */
    record Squares(float[] images, byte[] labels) {
        static Squares of(int n, int s) {
            float[] x = new float[n * s * s];
            byte[] y = new byte[n * s * s];
            for (int b = 0; b < n; b++) {
                int x0 = 4 + 6 * b, y0 = 8 + 3 * b, side = 12;
                for (int i = y0; i < y0 + side; i++) {
                    for (int j = x0; j < x0 + side; j++) {
                        x[b * s * s + i * s + j] = 1f;
                        y[b * s * s + i * s + j] = 1;
                    }
                }
            }
            return new Squares(x, y);
        }
    }
}
