package dev.medseg.model.train;

import dev.medseg.model.TestFixtures;
import dev.medseg.model.io.NpzSource;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.validation.GradCheckUtil;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Losses and optimizers against PyTorch running the reference code (tests/fixtures/training/make_fixtures.py:
 * TransUNet's DiceLoss + CrossEntropyLoss, UNeXt's BCEDiceLoss, torch.optim.SGD/Adam), and numerical gradients.
 */
class LossAndOptimizerTest {

    private static NpzSource fixture(String name) {
        return NpzSource.open(TestFixtures.fixture("training/" + name));
    }

    private static INDArray array(NpzSource src, String name, DataType dt) {
        long[] shape = src.require(name).shape();
        return Nd4j.create(src.readFloat(name), shape, 'c').castTo(dt);
    }

    private static byte[] bytes(NpzSource src, String name) {
        long[] v = src.readLong(name);
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    /** Loss value and d(loss)/d(logits) from our graph, in double precision. */
    private static Map<String, INDArray> lossAndGrad(SegmentationLoss loss, INDArray logits, byte[] labels) {
        int b = (int) logits.size(0), k = (int) logits.size(1), h = (int) logits.size(2), w = (int) logits.size(3);
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", logits.dup());
        SDVariable t = sd.constant("t", Nd4j.create(loss.target(labels, b, k, h, w), new long[]{b, k, h, w}, 'c').castTo(DataType.DOUBLE));
        SDVariable l = sd.identity("loss", loss.build(sd, x, t));
        l.markAsLoss();
        var out = sd.calculateGradientsAndOutputs(Map.of(), Set.of("loss"), Set.of("x"));
        return Map.of("loss", out.getOutputs().get("loss"), "grad", out.getGradients().get("x"));
    }

    @Test
    void crossEntropyPlusDiceMatchesTransUNet() {
        try (NpzSource f = fixture("losses.npz")) {
            INDArray logits = array(f, "ce_logits", DataType.DOUBLE);
            var r = lossAndGrad(SegmentationLoss.CE_DICE, logits, bytes(f, "ce_labels"));
            assertEquals(f.readFloat("ce_loss")[0], r.get("loss").getDouble(0), 1e-6);
            INDArray expected = array(f, "ce_grad", DataType.DOUBLE);
            assertTrue(expected.equalsWithEps(r.get("grad"), 1e-7), "gradient differs from PyTorch autograd");
        }
    }

    @Test
    void bceDiceMatchesUNeXt() {
        try (NpzSource f = fixture("losses.npz")) {
            INDArray logits = array(f, "bce_logits", DataType.DOUBLE);
            var r = lossAndGrad(SegmentationLoss.BCE_DICE, logits, bytes(f, "bce_labels"));
            assertEquals(f.readFloat("bce_loss")[0], r.get("loss").getDouble(0), 1e-6);
            assertTrue(array(f, "bce_grad", DataType.DOUBLE).equalsWithEps(r.get("grad"), 1e-7));
        }
    }

    @Test
    void perfectPredictionHasNearZeroLoss() {
        // Hand case: logits ±20 that agree with the labels give CE ≈ 0 and every d_c ≈ 1.
        byte[] labels = {0, 1, 1, 0};
        INDArray logits = Nd4j.create(new double[]{20, -20, -20, 20, -20, 20, 20, -20}, new long[]{1, 2, 2, 2}, 'c');
        assertEquals(0, lossAndGrad(SegmentationLoss.CE_DICE, logits, labels).get("loss").getDouble(0), 1e-6);
        // Wrong everywhere: CE = 40 per pixel; for each class Σp² = Σg² = 2 and Σpg ≈ 0, so d_c = 1e-5/(4 + 1e-5).
        INDArray wrong = logits.neg();
        double dice = 1 - 1e-5 / (4 + 1e-5);
        assertEquals(0.5 * 40 + 0.5 * dice, lossAndGrad(SegmentationLoss.CE_DICE, wrong, labels).get("loss").getDouble(0), 1e-6);
    }

    @Test
    void lossGradientsPassNumericalChecks() {
        DataType saved = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE); // GradCheckUtil insists
        try {
            checkLossGradients();
        } finally {
            Nd4j.setDefaultDataTypes(saved, saved);
        }
    }

    private static void checkLossGradients() {
        for (SegmentationLoss loss : SegmentationLoss.values()) {
            int k = loss == SegmentationLoss.CE_DICE ? 3 : 1;
            SameDiff sd = SameDiff.create();
            Nd4j.getRandom().setSeed(3);
            SDVariable x = sd.var("x", Nd4j.randn(DataType.DOUBLE, 2, k, 3, 4).muli(2));
            byte[] labels = new byte[24];
            for (int i = 0; i < labels.length; i++) labels[i] = (byte) (i * 7 % (k == 1 ? 2 : 3));
            sd.constant("t", Nd4j.create(loss.target(labels, 2, k, 3, 4), new long[]{2, k, 3, 4}, 'c').castTo(DataType.DOUBLE));
            loss.build(sd, x, sd.getVariable("t")).markAsLoss();
            assertTrue(GradCheckUtil.checkGradients(sd, new HashMap<>(), 1e-6, 1e-5, 1e-9, false, false, false, false,
                    Set.of(), null, 24, GradCheckUtil.Subset.RANDOM), loss + " gradient check");
        }
    }

    /**
     * CE + Dice at a training-sized shape against the closed form computed here, element by element: libnd4j's
     * softmax was right on small shapes and wrong on larger ones along axis 1, so small fixtures alone do not
     * cover it. dL/dx_j = p_j·(a_j − Σ_c a_c·p_c) with a_c = dL/dp_c.
     */
    @Test
    void crossEntropyPlusDiceIsRightAtTrainingSize() {
        int b = 2, k = 9, h = 96, w = 80, n = b * h * w;
        Nd4j.getRandom().setSeed(11);
        INDArray logits = Nd4j.randn(DataType.DOUBLE, b, k, h, w).muli(4);
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) labels[i] = (byte) ((i * 31 + i / 97) % k);
        var r = lossAndGrad(SegmentationLoss.CE_DICE, logits, labels);

        double[][] p = new double[k][n];
        double ce = 0;
        for (int i = 0; i < n; i++) {
            int bi = i / (h * w), pix = i % (h * w);
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < k; c++) max = Math.max(max, logits.getDouble(bi, c, pix / w, pix % w));
            for (int c = 0; c < k; c++) sum += p[c][i] = Math.exp(logits.getDouble(bi, c, pix / w, pix % w) - max);
            for (int c = 0; c < k; c++) p[c][i] /= sum;
            ce -= Math.log(p[labels[i]][i]) / n;
        }
        double dice = 0;
        double[] inter = new double[k], den = new double[k];
        for (int c = 0; c < k; c++) {
            for (int i = 0; i < n; i++) {
                double g = labels[i] == c ? 1 : 0;
                inter[c] += p[c][i] * g;
                den[c] += p[c][i] * p[c][i] + g;
            }
            dice += (1 - (2 * inter[c] + 1e-5) / (den[c] + 1e-5)) / k;
        }
        assertEquals(0.5 * ce + 0.5 * dice, r.get("loss").getDouble(0), 1e-5);

        INDArray grad = r.get("grad");
        double worst = 0;
        for (int i = 0; i < n; i += 7) {
            int bi = i / (h * w), pix = i % (h * w);
            double[] a = new double[k];
            double ap = 0;
            for (int c = 0; c < k; c++) {
                double g = labels[i] == c ? 1 : 0, s = den[c] + 1e-5;
                a[c] = -0.5 * g / (n * p[c][i]) - 0.5 / k * (2 * g * s - (2 * inter[c] + 1e-5) * 2 * p[c][i]) / (s * s);
                ap += a[c] * p[c][i];
            }
            for (int c = 0; c < k; c++) {
                double want = p[c][i] * (a[c] - ap);
                worst = Math.max(worst, Math.abs(want - grad.getDouble(bi, c, pix / w, pix % w)));
            }
        }
        assertTrue(worst < 1e-9, "largest gradient error " + worst);
    }

    @Test
    void targetsAreOneHotOrMaskAndRejectForeignIds() {
        float[] oneHot = SegmentationLoss.CE_DICE.target(new byte[]{0, 2}, 1, 3, 1, 2);
        assertArrayEquals(new float[]{1, 0, 0, 0, 0, 1}, oneHot);
        assertArrayEquals(new float[]{0, 1}, SegmentationLoss.BCE_DICE.target(new byte[]{0, (byte) 255}, 1, 1, 1, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> SegmentationLoss.CE_DICE.target(new byte[]{0, 3}, 1, 3, 1, 2));
        assertTrue(e.getMessage().contains("label id 3"), e.getMessage());
        var c = assertThrows(IllegalArgumentException.class, () -> SegmentationLoss.BCE_DICE.checkClasses(2));
        assertTrue(c.getMessage().contains("numClasses = 1"), c.getMessage());
    }

    @Test
    void optimizersMatchTorchOptim() {
        try (NpzSource f = fixture("optimizers.npz")) {
            float[] p0 = f.readFloat("p0");
            INDArray grads = Nd4j.create(f.readFloat("grads"), new long[]{4, p0.length}, 'c');
            float[] lrs = f.readFloat("lrs");
            Map<String, Optimizer> opts = Map.of(
                    "sgd", new Optimizer.Sgd(0.9, 1e-4),
                    "sgd_plain", new Optimizer.Sgd(0, 0),
                    "adam", new Optimizer.Adam(0.9, 0.999, 1e-8, 1e-4));
            for (var e : opts.entrySet()) {
                Optimizer o = e.getValue();
                INDArray p = Nd4j.createFromArray(p0.clone());
                INDArray[] slots = new INDArray[o.slots()];
                for (int i = 0; i < slots.length; i++) slots[i] = Nd4j.zeros(DataType.FLOAT, p0.length);
                for (int k = 0; k < 4; k++) {
                    o.update(p, grads.getRow(k).dup(), slots, Nd4j.zeros(DataType.FLOAT, p0.length), lrs[k], k + 1);
                }
                float[] want = f.readFloat(e.getKey());
                float[] got = p.toFloatVector();
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-6, e.getKey() + " param " + i);
                }
            }
        }
    }

    @Test
    void schedulesFollowTheReferenceFormulas() {
        var poly = new LrSchedule.Poly(0.01, 0.9, 13_950);
        assertEquals(0.01, poly.at(0, 0), 1e-15);
        assertEquals(0.01 * Math.pow(1 - 100.0 / 13_950, 0.9), poly.at(100, 1), 1e-15);
        assertEquals(0, poly.at(20_000, 200), 0);
        var cos = new LrSchedule.Cosine(1e-4, 1e-5, 200);
        assertEquals(1e-4, cos.at(0, 0), 1e-15);
        assertEquals(5.5e-5, cos.at(999, 100), 1e-12);
        assertEquals(1e-5, cos.at(999, 200), 1e-15);
    }
}
