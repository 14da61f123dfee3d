package dev.medseg.model.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CaseScorerTest {

    private static final Grid G = new Grid(6, 6, 4);
    private static final Spacing CT = new Spacing(0.5, 0.5, 3);

    /** Class 1 in both (one voxel each, one slice apart), 2 only predicted, 3 only in the reference, 4 nowhere. */
    private static CaseMetrics score(EmptyMaskRule rule) {
        byte[] pred = new byte[G.size()];
        byte[] ref = new byte[G.size()];
        pred[G.index(1, 1, 1)] = 1;
        ref[G.index(1, 1, 2)] = 1;
        pred[G.index(4, 4, 0)] = 2;
        ref[G.index(0, 5, 3)] = 3;
        return CaseScorer.score("case0001", LabelVolume.ofBytes(G, pred), LabelVolume.ofBytes(G, ref), 4, CT, rule);
    }

    @Test
    void bothPresentIsComputedInVoxelsAndMm() {
        ClassScore s = score(EmptyMaskRule.TRANSUNET).classScore(1);
        assertEquals(Presence.BOTH_PRESENT, s.presence());
        assertEquals(EmptyMaskRule.TRANSUNET, s.rule());
        assertEquals(0, s.dice(), 0);
        assertEquals(0, s.iou(), 0);
        assertEquals(1, s.hd95Voxels(), 0);   // one slice apart
        assertEquals(3, s.hd95Mm(), 1e-12);   // ... of 3 mm
        assertEquals(3, s.hausdorffMm(), 1e-12);
        assertEquals(3, s.assdMm(), 1e-12);
        assertEquals(new ConfusionCounts(0, 1, 1, G.size() - 2), s.counts());
        assertEquals(0, s.precision(), 0);
    }

    @Test
    void transunetRuleMatchesCalculateMetricPercase() {
        CaseMetrics m = score(EmptyMaskRule.TRANSUNET);
        ClassScore refEmpty = m.classScore(2);
        assertEquals(Presence.REF_EMPTY, refEmpty.presence());
        assertEquals(1, refEmpty.dice(), 0);
        assertEquals(0, refEmpty.hd95Voxels(), 0);
        assertEquals(0, refEmpty.hd95Mm(), 0);
        ClassScore predEmpty = m.classScore(3);
        assertEquals(Presence.PRED_EMPTY, predEmpty.presence());
        assertEquals(0, predEmpty.dice(), 0);
        assertEquals(0, predEmpty.hd95Voxels(), 0);
        ClassScore bothEmpty = m.classScore(4);
        assertEquals(Presence.BOTH_EMPTY, bothEmpty.presence());
        assertEquals(0, bothEmpty.dice(), 0);
        assertEquals(0, bothEmpty.hd95Voxels(), 0);
    }

    @Test
    void nnunetRuleGivesNaNForUndefinedValues() {
        CaseMetrics m = score(EmptyMaskRule.NNUNET);
        assertEquals(0, m.classScore(2).dice(), 0);
        assertTrue(Double.isNaN(m.classScore(2).hd95Mm()));
        assertEquals(0, m.classScore(3).dice(), 0);
        assertTrue(Double.isNaN(m.classScore(3).hd95Voxels()));
        assertTrue(Double.isNaN(m.classScore(4).dice()));
        assertTrue(Double.isNaN(m.classScore(4).iou()));
        assertEquals(Presence.BOTH_EMPTY, m.classScore(4).presence());
        assertEquals(EmptyMaskRule.NNUNET, m.classScore(4).rule());
        // the computed branch does not depend on the rule
        assertEquals(score(EmptyMaskRule.TRANSUNET).classScore(1), new ClassScore(1, EmptyMaskRule.TRANSUNET,
                Presence.BOTH_PRESENT, m.classScore(1).counts(), m.classScore(1).dice(), m.classScore(1).iou(),
                m.classScore(1).hd95Voxels(), m.classScore(1).hd95Mm(), m.classScore(1).hausdorffMm(), m.classScore(1).assdMm()));
    }

    @Test
    void labelMapScoreEqualsBinaryScore() {
        byte[] pred = new byte[G.size()];
        byte[] ref = new byte[G.size()];
        for (int i = 0; i < G.size(); i++) {
            pred[i] = (byte) (i % 5 < 2 ? 1 : 0);
            ref[i] = (byte) (i % 7 < 3 ? 1 : 0);
        }
        LabelVolume p = LabelVolume.ofBytes(G, pred);
        LabelVolume r = LabelVolume.ofBytes(G, ref);
        ClassScore fromLabels = CaseScorer.score("c", p, r, 1, CT, EmptyMaskRule.TRANSUNET).classScore(1);
        assertEquals(CaseScorer.scoreClass(1, p.mask(1), r.mask(1), CT, EmptyMaskRule.TRANSUNET), fromLabels);
        assertEquals(SurfaceDistances.between(p.mask(1), r.mask(1), CT).hd95(), fromLabels.hd95Mm(), 0);
    }

    @Test
    void scoreRowCannotClaimTheWrongBranch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ClassScore(1,
                EmptyMaskRule.TRANSUNET, Presence.BOTH_PRESENT, new ConfusionCounts(0, 3, 0, 5), 1, 1, 0, 0, 0, 0));
        assertTrue(e.getMessage().startsWith("presence BOTH_PRESENT contradicts counts"), e.getMessage());
    }

    @Test
    void rulesRefuseToInventTheComputedBranch() {
        assertThrows(IllegalArgumentException.class, () -> EmptyMaskRule.TRANSUNET.overlap(Presence.BOTH_PRESENT));
        assertThrows(IllegalArgumentException.class, () -> EmptyMaskRule.NNUNET.surface(Presence.BOTH_PRESENT));
    }
}
