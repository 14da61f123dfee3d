package dev.medseg.model;

import dev.medseg.model.nn.Graph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TransUNetShapeTest {
    static long count(Map<String, long[]> m) {
        long n = 0;
        for (long[] s : m.values()) { long p = 1; for (long x : s) p *= x; n += p; }
        return n;
    }

    @Test
    void tinyModelMapsImagesToLogitsOfTheSameSize() {
        for (boolean llm : new boolean[]{false, true}) {
            ModelConfig c = ModelConfig.testing(9, 64, llm);
            Graph g = new Graph(Graph.Mode.EVAL, 0, 1, DataType.FLOAT, null);
            TransUNet.build(g, c);
            var out = g.sd().output(Map.of(TransUNet.INPUT, Nd4j.rand(DataType.FLOAT, 3, 1, 64, 64)), TransUNet.LOGITS)
                    .get(TransUNet.LOGITS);
            assertArrayEquals(new long[]{3, 9, 64, 64}, out.shape());
            assertFalse(out.isNaN().any() || out.isInfinite().any());
        }
    }

    @Test
    void trainModeHasStaticBatchAndReportsBatchStatistics() {
        ModelConfig c = ModelConfig.testing(4, 32, true);
        Graph g = new Graph(Graph.Mode.TRAIN, 2, 1, DataType.FLOAT, null);
        TransUNet.build(g, c);
        assertEquals(1 + 4 * 2, g.batchStats().size()); // conv_more + 2 per decoder block
        var out = g.sd().output(Map.of(TransUNet.INPUT, Nd4j.rand(DataType.FLOAT, 2, 1, 32, 32)),
                TransUNet.LOGITS, g.batchStats().get(0).batchMean()).get(TransUNet.LOGITS);
        assertArrayEquals(new long[]{2, 4, 32, 32}, out.shape());
    }

    @Test
    void pinnedParameterCountsOfTheReferenceConfigs() {
        // model-spec §4: 105,323,161 (9 classes, 256), 105,277,081 (9 classes, 224), LLaMA block 202,383,360,
        // adapters 6,291,456.
        Graph base = new Graph(Graph.Mode.EVAL, 0, 1, DataType.FLOAT, null);
        TransUNet.build(base, ModelConfig.r50ViTB16(9, 256));
        assertEquals(105_323_161L, count(base.trainable()));
        assertEquals(0, count(base.frozen()));

        Graph at224 = new Graph(Graph.Mode.EVAL, 0, 1, DataType.FLOAT, null);
        TransUNet.build(at224, ModelConfig.r50ViTB16(9, 224));
        assertEquals(105_277_081L, count(at224.trainable()));
    }
}
