package dev.medseg.model.nn;

import dev.medseg.model.MedVisionLlama;
import dev.medseg.model.ModelConfig;
import dev.medseg.model.TransUNet;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class InferenceTest {
    @Test
    void freesActivationsDuringThePassAndGivesTheLibrarySessionsLogits() {
        SameDiff sd = tinyLlmTransUNet(7);
        INDArray x1 = Nd4j.rand(DataType.FLOAT, 2, 1, 32, 32);
        INDArray x2 = Nd4j.rand(DataType.FLOAT, 2, 1, 32, 32);
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

    /** The eval graph of the tiny LLM-TransUNet (3 classes, 1 input channel, 32 px). */
    private static SameDiff tinyLlmTransUNet(long seed) {
        ModelConfig cfg = ModelConfig.testing(3, 32, true);
        Graph g = new Graph(Graph.Mode.EVAL, 0, seed, DataType.FLOAT, null);
        TransUNet.build(g, cfg);
        return g.sd();
    }

    /** The library session's logits for each input, computed on another thread (its own session). */
    private static INDArray[] librarySession(SameDiff sd, INDArray... inputs) {
        INDArray[] out = new INDArray[inputs.length];
        Thread t = new Thread(() -> {
            for (int i = 0; i < inputs.length; i++) {
                out[i] = sd.output(Map.of(TransUNet.INPUT, inputs[i]), TransUNet.LOGITS).get(TransUNet.LOGITS).dup();
            }
        });
        t.start();
        assertDoesNotThrow(() -> t.join());
        return out;
    }

    private static void assertBitForBit(INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape());
        assertArrayEquals(expected.dup('c').data().asFloat(), actual.dup('c').data().asFloat(), 0f);
    }

    @Test
    void staticPlansGiveTheLibrarySessionsLogitsBitForBitForEveryModel() {
        ModelConfig mvl = new ModelConfig(ModelConfig.Encoder.VIT, 32, 3, 2, new ModelConfig.Vit(8, 2, 2, 16, 8, 0.1, 0.1),
                32, List.of(1, 1, 1), List.of(8, 8, 4, 4), 0, Optional.empty(), true, Optional.empty())
                .withMvl(new ModelConfig.Mvl(true, 5, List.of(2), "lora", 2, 2.0, "after-embedding"));
        for (ModelConfig cfg : List.of(ModelConfig.testing(3, 32, false), ModelConfig.testing(3, 32, true), mvl)) {
            Graph g = new Graph(Graph.Mode.EVAL, 0, 11, DataType.FLOAT, null);
            if (cfg.mvl().isPresent()) MedVisionLlama.build(g, cfg);
            else TransUNet.build(g, cfg);
            SameDiff sd = g.sd();
            StaticPlan plan = StaticPlan.compile(sd, TransUNet.LOGITS);
            assertNotNull(plan, "the eval graph runs as a plan");
            assertTrue(plan.steps() > 50, "ops in the plan: " + plan.steps());
            // batch 2, then batch 3 (new shapes, worked out again), then batch 2 again (the first shapes reused)
            INDArray a = Nd4j.rand(DataType.FLOAT, 2, cfg.inChannels(), 32, 32);
            INDArray b = Nd4j.rand(DataType.FLOAT, 3, cfg.inChannels(), 32, 32);
            INDArray c = Nd4j.rand(DataType.FLOAT, 2, cfg.inChannels(), 32, 32);
            INDArray[] expected = librarySession(sd, a, b, c);
            INDArray[] inputs = {a, b, c};
            for (int i = 0; i < 3; i++) {
                INDArray y = Inference.output(sd, Map.of(TransUNet.INPUT, inputs[i]), TransUNet.LOGITS).get(TransUNet.LOGITS);
                assertBitForBit(expected[i], y);
            }
            var mmgr = (Inference.FreeOnRelease) sd.getSessions().get(Thread.currentThread().getId()).getMmgr();
            assertNotNull(mmgr.plan(sd, TransUNet.LOGITS), "Inference kept its plan");
            assertEquals(0, mmgr.unzeroedLive());
        }
    }

    @Test
    void samplesOfABatchRunSideBySideAndGiveTheWholeBatchsLogitsBitForBit() {
        SameDiff sd = tinyLlmTransUNet(13);
        INDArray three = Nd4j.rand(DataType.FLOAT, 3, 1, 32, 32);
        INDArray one = Nd4j.rand(DataType.FLOAT, 1, 1, 32, 32);
        INDArray[] expected = librarySession(sd, three, one);
        int masterThreads = Nd4j.getEnvironment().maxMasterThreads();
        CpuReplicas.setCount(2);
        try {
            long sections = CpuReplicas.sectionsRun();
            // samples 0 | 1-2 on two threads, put back together in order
            assertBitForBit(expected[0], Inference.outputBySample(sd, Map.of(TransUNet.INPUT, three), TransUNet.LOGITS)
                    .get(TransUNet.LOGITS));
            assertEquals(sections + 1, CpuReplicas.sectionsRun(), "the batch ran as replicas");
            assertEquals(masterThreads, Nd4j.getEnvironment().maxMasterThreads(), "the thread limit is back");
            // one sample: nothing to split
            assertBitForBit(expected[1], Inference.outputBySample(sd, Map.of(TransUNet.INPUT, one), TransUNet.LOGITS)
                    .get(TransUNet.LOGITS));
            assertEquals(sections + 1, CpuReplicas.sectionsRun());
            assertFalse(CpuReplicas.onReplicaThread());
        } finally {
            CpuReplicas.setCount(null);
        }
    }

    @Test
    void aReplicaFailureReachesTheCallerAndAnOutputThatIsNotPerSampleIsRefused() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 3);
        SDVariable w = sd.var("w", Nd4j.createFromArray(new float[][]{{1, 2}, {3, 4}, {5, 6}}));
        x.mmul(w).add("rows", 1);
        x.sum("total"); // a scalar over the whole batch: not sample-major
        int masterThreads = Nd4j.getEnvironment().maxMasterThreads();
        CpuReplicas.setCount(2);
        try {
            INDArray rows = Inference.outputBySample(sd, Map.of("x", Nd4j.createFromArray(new float[][]{{1, 1, 1},
                    {1, 0, 0}, {0, 0, 2}})), "rows").get("rows");
            assertArrayEquals(new float[]{10, 13, 2, 3, 11, 13}, rows.data().asFloat(), 0f);
            var e = assertThrows(IllegalStateException.class, () -> Inference.outputBySample(sd,
                    Map.of("x", Nd4j.ones(DataType.FLOAT, 4, 3)), "total"));
            assertTrue(e.getMessage().contains("'total' is not sample-major"), e.getMessage());
            // (n, 4) against the (3, 2) weights: every replica fails, the caller gets libnd4j's error
            assertThrows(RuntimeException.class, () -> Inference.outputBySample(sd,
                    Map.of("x", Nd4j.ones(DataType.FLOAT, 4, 4)), "rows"));
            assertEquals(masterThreads, Nd4j.getEnvironment().maxMasterThreads(), "the thread limit is back after a failure");
            assertFalse(w.getArr().wasClosed());
        } finally {
            CpuReplicas.setCount(null);
        }
    }

    @Test
    void aMissingPlaceholderIsNamedAndThePassLeavesNothingAllocated() {
        ModelConfig cfg = ModelConfig.testing(2, 32, false);
        Graph g = new Graph(Graph.Mode.EVAL, 0, 3, DataType.FLOAT, null);
        TransUNet.build(g, cfg);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Inference.output(g.sd(), Map.of("not_the_input", Nd4j.rand(DataType.FLOAT, 1, 1)), TransUNet.LOGITS));
        assertTrue(e.getMessage().contains("'" + TransUNet.INPUT + "'"), e.getMessage());
        var mmgr = (Inference.FreeOnRelease) g.sd().getSessions().get(Thread.currentThread().getId()).getMmgr();
        assertEquals(0, mmgr.unzeroedLive());
    }

    @Test
    void graphsWithControlDependenciesStayWithTheSession() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 3);
        SDVariable w = sd.var("w", Nd4j.createFromArray(new float[][]{{1, 2}, {3, 4}, {5, 6}}));
        SDVariable y = sd.identity(x.mmul(w));
        y.addControlDependency(sd.math().abs(x));
        SDVariable out = y.add("out", 1);
        assertNull(StaticPlan.compile(sd, "out"), "control dependencies need the session");
        INDArray r = Inference.output(sd, Map.of("x", Nd4j.createFromArray(new float[][]{{1, 1, 1}})), "out").get("out");
        assertArrayEquals(new float[]{10, 13}, r.data().asFloat(), 0f);
        // an ordinary graph of the same ops is planned, and computes the same
        SameDiff plain = SameDiff.create();
        SDVariable px = plain.placeHolder("x", DataType.FLOAT, -1, 3);
        plain.var("w", w.getArr().dup());
        px.mmul(plain.getVariable("w")).add("out", 1);
        assertNotNull(StaticPlan.compile(plain, "out"));
        INDArray p = Inference.output(plain, Map.of("x", Nd4j.createFromArray(new float[][]{{1, 1, 1}})), "out").get("out");
        assertArrayEquals(new float[]{10, 13}, p.data().asFloat(), 0f);
    }

    @Test
    void aFailingPassReleasesWhatItMadeButNeverAParameterBehindAPassThrough() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, -1);
        SDVariable w = sd.var("w", Nd4j.createFromArray(new float[][]{{1, 2}, {3, 4}, {5, 6}}));
        SDVariable h = x.mul(2);
        sd.identity(w).mmul(sd.identity(h)).add("out", 1); // (3, 2) x (2, n)
        assertNotNull(StaticPlan.compile(sd, "out"));
        // x of 3 rows: the product's shapes do not fit, after the pass already made 2x and passed w through
        assertThrows(RuntimeException.class,
                () -> Inference.output(sd, Map.of("x", Nd4j.ones(DataType.FLOAT, 3, 1)), "out"));
        assertFalse(w.getArr().wasClosed(), "the parameter survives the failed pass");
        var mmgr = (Inference.FreeOnRelease) sd.getSessions().get(Thread.currentThread().getId()).getMmgr();
        assertEquals(0, mmgr.unzeroedLive());
        INDArray r = Inference.output(sd, Map.of("x", Nd4j.ones(DataType.FLOAT, 2, 1)), "out").get("out");
        assertArrayEquals(new float[]{7, 15, 23}, r.data().asFloat(), 0f);
    }

    @Test
    void reshapesOfIntermediatesAreViewsAndOfWhatTheGraphOrTheCallerOwnsCopies() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 64);
        SDVariable w = sd.var("w", Nd4j.rand(DataType.FLOAT, 64, 256));
        SDVariable h = x.mmul(w); // (n, 256), made by the plan: 128 KB at n = 128, on unzeroed memory
        SDVariable parts = h.reshape(-1, 16, 16).mul(2); // a view of h, read once h's other reader ran too
        SDVariable back = parts.reshape(-1, 256).add(h); // a view of the product, then h read after it
        back.reshape(-1, 16, 16).add("out", 1); // a view of the sum
        w.reshape(256, 64).mul("wOut", 3); // of a parameter: a copy
        x.reshape(-1, 8, 8).mul("xOut", 1); // of the fed array: a copy
        sd.reshape("asked", h.mul(-1), -1, 16, 16); // asked for: a copy
        String[] outs = {"out", "wOut", "xOut", "asked"};
        StaticPlan plan = StaticPlan.compile(sd, outs);
        assertNotNull(plan);
        INDArray in = Nd4j.rand(DataType.FLOAT, 128, 64);
        Map<String, INDArray>[] expected = new Map[1];
        Thread t = new Thread(() -> expected[0] = sd.output(Map.of("x", in), outs));
        t.start();
        assertDoesNotThrow(() -> t.join());
        INDArray wBefore = w.getArr().dup();
        for (int pass = 0; pass < 2; pass++) { // the first pass works out the shapes, the second reuses them
            var mem = new Inference.FreeOnRelease();
            Map<String, INDArray> got = plan.run(Map.of("x", in), mem);
            for (String o : outs) assertBitForBit(expected[0].get(o), got.get(o));
            assertEquals(3, plan.viewsLastRun(), "the three reshapes of intermediates are views");
            assertEquals(w.getArr(), wBefore, "the parameter is unchanged");
            // every intermediate freed (views with the memory they read): left are the outputs of 64 KB and more
            assertEquals(3, mem.unzeroedLive(), "out, wOut and asked");
            mem.close();
        }
    }
}
