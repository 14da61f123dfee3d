package dev.medseg.job.bench;

import dev.medseg.model.ModelConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** References: model-spec §4, MACs counted by hand from the shapes. */
class ModelFlopsTest {
    @Test
    void transUNetAt256MatchesTheSpecCount() {
        ModelFlops f = ModelFlops.of(ModelConfig.r50ViTB16(9, 256));
        assertEquals(38.46e9, f.trainableMacs(), 0.01e9); // §4.1 total, 9 classes
        assertEquals(0, f.frozenMacs());
        assertEquals(76.9, f.forwardGflop(), 0.05);
        assertEquals(3 * 76.9, f.trainGflop(), 0.2);
    }

    @Test
    void transUNetAt224AndWithTwoClasses() {
        assertEquals(29.23e9, ModelFlops.of(ModelConfig.r50ViTB16(9, 224)).trainableMacs(), 0.01e9);
        assertEquals(38.39e9, ModelFlops.of(ModelConfig.r50ViTB16(2, 256)).trainableMacs(), 0.01e9);
    }

    @Test
    void llmTransUNetAddsTheFrozenBlockAndAdapters() {
        ModelFlops f = ModelFlops.of(ModelConfig.llmTransUNet(9, 256));
        assertEquals(52.34e9, f.frozenMacs(), 0.01e9); // §4.2
        assertEquals(38.46e9 + 1.61e9, f.trainableMacs(), 0.01e9); // + adapters §4.3
        assertEquals(184.8, f.forwardGflop(), 0.1); // §4.4
        assertEquals(450, f.trainGflop(), 1.0); // 3×76.9 + 2×104.7 + 3×3.2
    }

    @Test
    void groupedQueryAttentionShrinksKeyAndValueProjections() {
        var base = ModelConfig.r50ViTB16(9, 256);
        double mha = ModelFlops.of(base.withLlm(new ModelConfig.Llm(4096, 32, 32, 11008, 1e-6, true, false))).frozenMacs();
        double gqa = ModelFlops.of(base.withLlm(new ModelConfig.Llm(4096, 32, 8, 11008, 1e-6, true, false))).frozenMacs();
        // k and v: 4096→1024 instead of 4096→4096, at 256 tokens
        assertEquals(256.0 * 2 * 4096 * (4096 - 1024), mha - gqa, 1);
    }
}
