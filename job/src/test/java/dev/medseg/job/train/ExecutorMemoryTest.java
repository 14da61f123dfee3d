package dev.medseg.job.train;

import dev.medseg.model.ModelConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** An executor too small for the frozen block fails fast and says how much it needs. */
class ExecutorMemoryTest {
    @Test
    void llama7bBlockSizeAndRefusal() {
        long bytes = ExecutorModels.blockBytes(ModelConfig.Llm.llama7b());
        assertEquals(4L * 202_383_360, bytes); // model-spec §4.2: 202,383,360 parameters
        var e = assertThrows(IllegalStateException.class,
                () -> ExecutorModels.requireOffHeap(bytes, 1_000_000_000L, 500_000_000L));
        assertTrue(e.getMessage().contains("needs 0.81 GB") && e.getMessage().contains("0.50 GB left")
                && e.getMessage().contains("maxbytes"), e.getMessage());
        assertDoesNotThrow(() -> ExecutorModels.requireOffHeap(bytes, 8_000_000_000L, 1_000_000_000L));
        assertDoesNotThrow(() -> ExecutorModels.requireOffHeap(bytes, 0, 0));
    }
}
