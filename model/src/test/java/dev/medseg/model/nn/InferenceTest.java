package dev.medseg.model.nn;

import dev.medseg.model.ModelConfig;
import dev.medseg.model.TransUNet;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class InferenceTest {
    @Test
    void freesActivationsDuringThePassAndGivesTheLibrarySessionsLogits() {
        ModelConfig cfg = ModelConfig.testing(3, 32, true);
        Graph g = new Graph(Graph.Mode.EVAL, 0, 7, DataType.FLOAT, null);
        TransUNet.build(g, cfg);
        SameDiff sd = g.sd();
        INDArray x1 = Nd4j.rand(DataType.FLOAT, 2, cfg.inChannels(), 32, 32);
        INDArray x2 = Nd4j.rand(DataType.FLOAT, 2, cfg.inChannels(), 32, 32);
        // the library's own session (array cache) first, on another thread so its session stays separate
        INDArray[] expected = new INDArray[2];
        Thread t = new Thread(() -> {
            expected[0] = sd.output(Map.of(TransUNet.INPUT, x1), TransUNet.LOGITS).get(TransUNet.LOGITS).dup();
            expected[1] = sd.output(Map.of(TransUNet.INPUT, x2), TransUNet.LOGITS).get(TransUNet.LOGITS).dup();
        });
        t.start();
        assertDoesNotThrow(() -> t.join());

        INDArray y1 = Inference.output(sd, Map.of(TransUNet.INPUT, x1), TransUNet.LOGITS).get(TransUNet.LOGITS);
        var mmgr = (Inference.FreeOnRelease) sd.getSessions().get(Thread.currentThread().getId()).getMmgr();
        long freedByFirst = mmgr.freed;
        assertTrue(freedByFirst > 50, "activations freed during one forward: " + freedByFirst);
        // the larger activations skipped libnd4j's zero-filling, and none outlives the pass
        assertTrue(mmgr.unzeroedHandedOut() > 20, "unzeroed activations");
        assertEquals(0, mmgr.unzeroedLive());
        INDArray y2 = Inference.output(sd, Map.of(TransUNet.INPUT, x2), TransUNet.LOGITS).get(TransUNet.LOGITS);
        assertTrue(mmgr.freed >= 2 * freedByFirst - 1, "the second pass frees as the first: " + mmgr.freed);
        assertSame(mmgr, sd.getSessions().get(Thread.currentThread().getId()).getMmgr(), "set once per thread");
        // results equal the library session's, and the first call's logits survive the second call
        assertFalse(y1.wasClosed());
        assertEquals(expected[0], y1);
        assertEquals(expected[1], y2);
        assertEquals(0, mmgr.unzeroedLive());
    }
}
