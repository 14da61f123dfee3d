package dev.medseg.model.train;

import dev.medseg.model.ModelConfig;
import dev.medseg.model.StateDict;
import dev.medseg.model.TestFixtures;
import dev.medseg.model.io.NpzSource;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.io.TensorSources;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class SegmentationTrainerTest {
    /** The tiny official LLM-TransUNet of tests/fixtures/transunet, with dropout off. */
    static final ModelConfig TINY_LLM = new ModelConfig(ModelConfig.Encoder.R50_VIT, 32, 1, 3,
            new ModelConfig.Vit(8, 1, 2, 16, 16, 0.0, 0.0), 32, List.of(1, 1, 1), List.of(4, 4, 4, 4), 3,
            Optional.of(new ModelConfig.Llm(16, 4, 4, 24, 1e-6, true, false)));

    static final Optimizer SGD = new Optimizer.Sgd(0.9, 1e-4);

    @org.junit.jupiter.params.ParameterizedTest(name = "{0} replica(s)")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
    void threeStepsMatchTheOfficialTrainer(int replicas) {
        var trainer = new SegmentationTrainer(TINY_LLM, SegmentationLoss.CE_DICE, SGD, 2, 1, null, replicas);
        try (TensorSource pth = TensorSources.open(TestFixtures.fixture("transunet/tiny_llm_transunet.pth"))) {
            StateDict.load(trainer.graph(), pth);
        }
        trainer.load(trainer.state()); // the loaded weights are what the flat vector holds
        var poly = new LrSchedule.Poly(0.01, 0.9, 10);
        try (NpzSource f = NpzSource.open(TestFixtures.fixture("training/step_fixture.npz"))) {
            float[] images = f.readFloat("images");
            long[] labels = f.readLong("labels");
            float[] losses = f.readFloat("losses");
            int imgPer = 2 * 32 * 32, lblPer = 2 * 32 * 32;
            for (int it = 0; it < 3; it++) {
                float[] x = java.util.Arrays.copyOfRange(images, it * imgPer, (it + 1) * imgPer);
                byte[] y = new byte[lblPer];
                for (int i = 0; i < lblPer; i++) y[i] = (byte) labels[it * lblPer + i];
                var r = trainer.step(x, y, poly.at(it, 0), 5);
                assertEquals(losses[it], r.loss(), 2e-5, "loss at step " + it);
                // Parity holds while the step frees each intermediate as soon as its last reader has run.
                assertTrue(trainer.intermediatesFreedLastStep() > 200,
                        "freed during step " + it + ": " + trainer.intermediatesFreedLastStep());
                // ... and while its larger outputs skip libnd4j's zero-filling, all of them freed by its end.
                long[] unzeroed = trainer.unzeroedOutputsLastStep();
                assertTrue(unzeroed[0] > 50, "unzeroed outputs in step " + it + ": " + unzeroed[0]);
                assertEquals(0, unzeroed[1], "unzeroed outputs still allocated after step " + it);
            }
            int compared = 0;
            for (String key : f.names()) {
                if (!key.startsWith("after/")) continue;
                String name = key.substring("after/".length());
                if (name.equals("transformer.llama.norm.weight")) continue; // never loaded by the reference either
                INDArray want = Nd4j.create(f.readFloat(key), f.require(key).shape(), 'c');
                if (want.rank() == 4) want = want.permute(2, 3, 1, 0).dup('c'); // OIHW -> HWIO
                if (trainer.graph().storedTransposed(name)) want = want.transpose().dup('c'); // frozen [in, out]
                INDArray got = trainer.graph().sd().getArrForVarName(name);
                assertNotNull(got, name);
                double scale = Math.max(1e-3, want.amaxNumber().doubleValue());
                double diff = want.sub(got.castTo(DataType.FLOAT)).amaxNumber().doubleValue();
                assertTrue(diff <= 2e-5 * scale + 1e-6, name + " differs by " + diff + " (scale " + scale + ")");
                compared++;
            }
            assertTrue(compared > 80, "compared " + compared + " tensors");
        }
    }

    @Test
    void stepsRunAsAStaticPlanAndEqualTheSessionsBitForBit() {
        // R50 + ViT + LLM block: standardised convs, GroupNorm, attention, exact GELU (a control dependency)
        ModelConfig cfg = ModelConfig.testing(3, 32, true);
        var planned = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, SGD, 2, 4, null, 1);
        var session = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, SGD, 2, 4, null, 1);
        session.useStaticPlan(false);
        var rnd = new SplittableRandom(8);
        for (int i = 0; i < 2; i++) {
            Batch b = Batch.random(rnd, 2, 1, 32, 3);
            double lossPlanned = planned.step(b.images, b.labels, 0.05, i).loss();
            double lossSession = session.step(b.images, b.labels, 0.05, i).loss();
            assertTrue(planned.lastStepPlanned(), "the plan ran");
            assertFalse(session.lastStepPlanned());
            assertEquals(lossSession, lossPlanned, 0.0, "loss at step " + i);
            assertTrue(planned.intermediatesFreedLastStep() > 200, "freed during the planned step: "
                    + planned.intermediatesFreedLastStep());
            assertEquals(0, planned.unzeroedOutputsLastStep()[1], "unzeroed outputs left after the planned step");
        }
        assertTrue(planned.state().sameAs(session.state()), "parameters, momentum and buffers bit for bit");
    }

    /**
     * Replicas of the graph side by side compute the one-pass step: BatchNorm's batch statistics (running
     * statistics after the step) and the Dice loss's sums come from the whole batch, each replica's loss is its
     * share. Without the replica sums the running statistics and the loss would be those of half batches.
     */
    @Test
    void replicatedStepsComputeTheOnePassStep() {
        ModelConfig tiny = ModelConfig.testing(3, 32, true); // R50 + ViT + LLM block, decoder BatchNorm
        ModelConfig binary = ModelConfig.testing(1, 32, false);
        ModelConfig mvl = new ModelConfig(ModelConfig.Encoder.VIT, 32, 1, 3, new ModelConfig.Vit(8, 2, 2, 16, 8, 0.0, 0.0),
                32, List.of(1, 1, 1), List.of(8, 8, 4, 4), 0, Optional.empty(), true, Optional.empty())
                .withMvl(new ModelConfig.Mvl(true, 5, List.of(2), "lora", 2, 2.0, "after-embedding"));
        record Case(ModelConfig cfg, SegmentationLoss loss, int batch, int classes) {}
        for (Case c : List.of(new Case(tiny, SegmentationLoss.CE_DICE, 2, 3), new Case(tiny, SegmentationLoss.CE_DICE, 4, 3),
                new Case(binary, SegmentationLoss.BCE_DICE, 2, 2), new Case(mvl, SegmentationLoss.CE_DICE, 2, 3))) {
            var one = new SegmentationTrainer(c.cfg, c.loss, SGD, c.batch, 4, null, 1);
            var two = new SegmentationTrainer(c.cfg, c.loss, SGD, c.batch, 4, null, 2);
            assertEquals(2, two.replicas());
            float[] start = one.state().buffers();
            var rnd = new SplittableRandom(31);
            for (int i = 0; i < 2; i++) {
                Batch b = Batch.random(rnd, c.batch, 1, 32, c.classes);
                double l1 = one.step(b.images, b.labels, 0.05, i).loss();
                double l2 = two.step(b.images, b.labels, 0.05, i).loss();
                assertTrue(two.lastStepPlanned());
                assertEquals(l1, l2, 1e-5 * Math.abs(l1), c + ": loss at step " + i);
                assertTrue(two.intermediatesFreedLastStep() > 200, "freed: " + two.intermediatesFreedLastStep());
                assertEquals(0, two.unzeroedOutputsLastStep()[1], "unzeroed outputs left after the replicated step");
            }
            TrainState a = one.state(), b = two.state();
            assertTrue(a.maxParamDifference(b) < 1e-5, c + ": parameters differ by " + a.maxParamDifference(b));
            for (int i = 0; i < a.buffers().length; i++) {
                assertEquals(a.buffers()[i], b.buffers()[i], 1e-5 * Math.max(1, Math.abs(a.buffers()[i])),
                        c + ": BatchNorm running statistic " + i);
            }
            assertTrue(start.length > 0, "the decoder has BatchNorm");
            assertFalse(java.util.Arrays.equals(start, a.buffers()), "the running statistics moved");
        }
    }

    @Test
    void replicatedStepsWithDropoutAreReproducibleAndTheirLimitsAreNamed() {
        ModelConfig c = new ModelConfig(ModelConfig.Encoder.VIT, 32, 3, 2, new ModelConfig.Vit(8, 2, 2, 16, 8, 0.1, 0.1),
                32, List.of(1, 1, 1), List.of(8, 8, 4, 4), 0, Optional.empty(), true, Optional.empty())
                .withMvl(new ModelConfig.Mvl(true, 5, List.of(2), "lora", 2, 2.0, "after-embedding"));
        var a = new SegmentationTrainer(c, SegmentationLoss.CE_DICE, SGD, 2, 6, null, 2);
        var b = new SegmentationTrainer(c, SegmentationLoss.CE_DICE, SGD, 2, 6, null, 2);
        var other = new SegmentationTrainer(c, SegmentationLoss.CE_DICE, SGD, 2, 6, null, 2);
        Batch x = Batch.random(new SplittableRandom(2), 2, 3, 32, 2);
        for (int i = 0; i < 2; i++) {
            a.step(x.images, x.labels, 0.05, 17 + i);
            b.step(x.images, x.labels, 0.05, 17 + i);
            other.step(x.images, x.labels, 0.05, 18 + i); // other dropout masks
        }
        assertTrue(a.state().sameAs(b.state()), "same seeds, same steps");
        assertTrue(a.state().maxParamDifference(other.state()) > 0, "the masks follow the step's seed");
        assertNotEquals(SegmentationTrainer.replicaSeed(17, 0), SegmentationTrainer.replicaSeed(17, 1));
        assertEquals(17, SegmentationTrainer.replicaSeed(17, 0), "replica 0 draws as a one-pass step");

        var e = assertThrows(IllegalArgumentException.class,
                () -> new SegmentationTrainer(c, SegmentationLoss.CE_DICE, SGD, 3, 6, null, 2));
        assertTrue(e.getMessage().contains("batch of 3 cannot be split into 2 replicas"), e.getMessage());
        var live = assertThrows(IllegalStateException.class, a::profileLiveArrays);
        assertTrue(live.getMessage().contains("medseg.cpuReplicas=1"), live.getMessage());
        a.useStaticPlan(false);
        var session = assertThrows(IllegalStateException.class, () -> a.step(x.images, x.labels, 0.05, 1));
        assertTrue(session.getMessage().contains("static plans only"), session.getMessage());
    }

    @Test
    void plannedStepsWithDropoutAndBatchNormAreReproducible() {
        ModelConfig c = new ModelConfig(ModelConfig.Encoder.VIT, 32, 3, 2, new ModelConfig.Vit(8, 2, 2, 16, 8, 0.1, 0.1),
                32, List.of(1, 1, 1), List.of(8, 8, 4, 4), 0, Optional.empty(), true, Optional.empty())
                .withMvl(new ModelConfig.Mvl(true, 5, List.of(2), "lora", 2, 2.0, "after-embedding"));
        var a = new SegmentationTrainer(c, SegmentationLoss.CE_DICE, SGD, 2, 6, null);
        var b = new SegmentationTrainer(c, SegmentationLoss.CE_DICE, SGD, 2, 6, null);
        var other = new SegmentationTrainer(c, SegmentationLoss.CE_DICE, SGD, 2, 6, null);
        TrainState start = a.state();
        Batch x = Batch.random(new SplittableRandom(2), 2, 3, 32, 2);
        a.step(x.images, x.labels, 0.05, 17);
        b.step(x.images, x.labels, 0.05, 17);
        other.step(x.images, x.labels, 0.05, 18); // other dropout masks
        assertTrue(a.lastStepPlanned() && b.lastStepPlanned() && other.lastStepPlanned());
        assertTrue(a.state().sameAs(b.state()), "same seed, same step");
        assertTrue(a.state().maxParamDifference(other.state()) > 0, "the masks follow the step's seed");
        assertFalse(java.util.Arrays.equals(start.buffers(), a.state().buffers()), "BatchNorm running statistics moved");
    }

    @Test
    void frozenWeightsAreSharedAndNeverChange() {
        ModelConfig cfg = ModelConfig.testing(3, 32, true);
        var frozen = new HashMap<String, INDArray>();
        var probe = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, SGD, 2, 1, null);
        var rnd = new SplittableRandom(3);
        for (var e : probe.graph().frozen().entrySet()) {
            frozen.put(e.getKey(), Nd4j.rand(DataType.FLOAT, e.getValue()).subi(0.5));
        }
        Map<String, INDArray> before = new HashMap<>();
        frozen.forEach((k, v) -> before.put(k, v.dup()));
        var trainer = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, SGD, 2, 1, frozen::get);
        assertEquals(9, trainer.graph().frozen().size());
        for (String name : frozen.keySet()) {
            assertSame(frozen.get(name), trainer.graph().sd().getArrForVarName(name), name + " was copied");
            assertFalse(trainer.params().shapes().containsKey(name), name + " is trainable");
        }
        Batch b = Batch.random(rnd, 2, 1, 32, 3);
        TrainState start = trainer.state();
        for (int i = 0; i < 3; i++) trainer.step(b.images, b.labels, 0.05, i);
        for (String name : frozen.keySet()) {
            assertEquals(before.get(name), frozen.get(name), name + " changed");
        }
        assertTrue(trainer.state().maxParamDifference(start) > 0, "trainable parameters did not move");
    }

    @Test
    void stateRoundTripsAndStepsAreDeterministic() {
        ModelConfig cfg = ModelConfig.testing(3, 32, false);
        var a = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, new Optimizer.Adam(0.9, 0.999, 1e-8, 1e-4), 2, 7, null);
        var rnd = new SplittableRandom(11);
        Batch b1 = Batch.random(rnd, 2, 1, 32, 3), b2 = Batch.random(rnd, 2, 1, 32, 3);
        a.step(b1.images, b1.labels, 1e-3, 1);
        TrainState mid = a.state();
        assertEquals(1, mid.step());
        assertTrue(mid.buffers().length > 0);

        var b = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, new Optimizer.Adam(0.9, 0.999, 1e-8, 1e-4), 2, 99, null);
        assertTrue(b.state().maxParamDifference(mid) > 0, "different seeds should start apart");
        b.load(mid);
        assertTrue(b.state().sameAs(mid), "load/state round trip");
        a.step(b2.images, b2.labels, 1e-3, 2);
        b.step(b2.images, b2.labels, 1e-3, 2);
        assertTrue(a.state().sameAs(b.state()), "same state + same batch must give bit-identical results");
    }

    @Test
    void aStateWithoutSlotsLeavesTheTrainersOwnOptimizerState() {
        ModelConfig cfg = ModelConfig.testing(3, 32, false);
        Optimizer adam = new Optimizer.Adam(0.9, 0.999, 1e-8, 1e-4);
        var a = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, adam, 2, 7, null);
        var rnd = new SplittableRandom(5);
        Batch b1 = Batch.random(rnd, 2, 1, 32, 3), b2 = Batch.random(rnd, 2, 1, 32, 3);
        a.step(b1.images, b1.labels, 1e-3, 1);
        TrainState full = a.state();
        TrainState bare = a.stateWithoutSlots();
        assertEquals(2, a.slotCount());
        assertEquals(0, bare.slots().length);
        assertArrayEquals(full.params(), bare.params());
        assertArrayEquals(full.buffers(), bare.buffers());
        assertEquals(full.step(), bare.step());
        var e = assertThrows(IllegalArgumentException.class, () -> a.load(bare));
        assertTrue(e.getMessage().contains("0 optimizer slots"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.loadKeepingSlots(full));

        // b has a's parameters but its own (zero) moments: after loadKeepingSlots it still has them, so its next step
        // differs from a's; resetSlots on a gives a fresh optimizer's step, which b's equals.
        var b = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, adam, 2, 99, null);
        b.loadKeepingSlots(bare);
        TrainState bLoaded = b.state();
        assertArrayEquals(full.params(), bLoaded.params());
        for (float[] s : bLoaded.slots()) for (float v : s) assertEquals(0f, v);
        a.resetSlots();
        a.step(b2.images, b2.labels, 1e-3, 2);
        b.step(b2.images, b2.labels, 1e-3, 2);
        assertTrue(a.state().sameAs(b.state()), "a reset optimizer must step like a new one");
        var c = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, adam, 2, 7, null);
        c.load(full);
        c.loadKeepingSlots(bare); // parameters again; c's moments are full's, kept
        c.step(b2.images, b2.labels, 1e-3, 2);
        assertTrue(c.state().maxParamDifference(a.state()) > 0, "kept moments must change the step");
    }

    @Test
    void aTinyModelFitsABatch() {
        ModelConfig cfg = ModelConfig.testing(1, 32, true);
        var t = new SegmentationTrainer(cfg, SegmentationLoss.BCE_DICE, new Optimizer.Adam(0.9, 0.999, 1e-8, 0), 2, 3, null);
        Batch b = Batch.squares(2, 32);
        double first = t.step(b.images, b.labels, 3e-3, 0).loss(), last = first;
        for (int i = 1; i < 40; i++) last = t.step(b.images, b.labels, 3e-3, i).loss();
        assertTrue(last < 0.35 * first, "loss went from " + first + " to " + last);
    }

    @Test
    void badBatchesAreRefusedWithTheExpectedShape() {
        var t = new SegmentationTrainer(ModelConfig.testing(3, 32, false), SegmentationLoss.CE_DICE, SGD, 2, 1, null);
        var e = assertThrows(IllegalArgumentException.class, () -> t.step(new float[10], new byte[2048], 0.01, 0));
        assertTrue(e.getMessage().contains("expected 2048 = 2x1x32x32"), e.getMessage());
        byte[] labels = new byte[2048];
        labels[5] = 7;
        var l = assertThrows(IllegalArgumentException.class, () -> t.step(new float[2048], labels, 0.01, 0));
        assertTrue(l.getMessage().contains("label id 7"), l.getMessage());
    }

    @Test
    void atTheMemoryPeakNoForwardArrayIsKeptOnlyForALibraryGradientThatWouldReadIt() {
        // The live profile groups the arrays alive at the step's peak by maker and remaining readers. Before
        // BroadcastAdd, OutputSoftmax, ExactGelu and the dropout product, the largest groups at 256² were arrays
        // kept only for add_bp (linear outputs, norms' x·scale), softmax_bp (scores) and multiply_bp (GELU parts).
        var cfg = new ModelConfig(ModelConfig.Encoder.R50_VIT, 32, 1, 3, new ModelConfig.Vit(32, 2, 4, 64, 16, 0.1, 0.1),
                32, List.of(1, 1, 1), List.of(32, 16, 16, 8), 3, Optional.empty());
        var t = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, SGD, 2, 1, null, 1); // live profiles: one pass
        Batch b = Batch.random(new SplittableRandom(3), 2, 1, 32, 3);
        t.step(b.images(), b.labels(), 0.01, 1);
        LiveProfile p = t.profileLiveArrays();
        t.step(b.images(), b.labels(), 0.01, 2);
        assertTrue(p.peakBytes() > 0 && !p.groups().isEmpty());
        assertEquals(p.peakBytes(), p.groups().stream().mapToLong(LiveProfile.Group::bytes).sum());
        for (LiveProfile.Group g : p.groups()) {
            // (small per-channel statistics may be kept for a library gradient; activation-sized arrays may not)
            boolean activationSized = g.bytes() / g.arrays() >= 1024;
            for (String lib : List.of("add_bp", "softmax_bp")) {
                assertFalse(activationSized && g.readers().contains(lib), g.toString());
            }
            assertFalse(activationSized && g.producer().equals("multiply")
                    && g.readers().equals(List.of("multiply", "multiply_bp")), g + ": kept only for multiply_bp");
        }
    }

    /** A batch of images and labels as the trainer takes them. */
    record Batch(float[] images, byte[] labels) {
        static Batch random(SplittableRandom r, int n, int c, int s, int classes) {
            float[] x = new float[n * c * s * s];
            byte[] y = new byte[n * s * s];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
            for (int i = 0; i < y.length; i++) y[i] = (byte) r.nextInt(classes);
            return new Batch(x, y);
        }

        /** Bright squares on a dark background, labelled foreground. */
        static Batch squares(int n, int s) {
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
            return new Batch(x, y);
        }
    }
}
