package dev.medseg.model.metrics;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfusionCountsTest {

    @Test
    void handComputedBinaryCase() {
        Grid g = Grid.of2d(4, 1);
        ConfusionCounts c = ConfusionCounts.of(
                BinaryMask.of(g, new boolean[] {true, true, false, false}),
                BinaryMask.of(g, new boolean[] {false, true, true, false}));
        assertEquals(new ConfusionCounts(1, 1, 1, 1), c);
        assertEquals(0.5, c.dice(), 0);
        assertEquals(1.0 / 3, c.iou(), 0);
        assertEquals(0.5, c.precision(), 0);
        assertEquals(0.5, c.recall(), 0);
        assertEquals(0.5, c.specificity(), 0);
        assertEquals(0.5, c.accuracy(), 0);
        assertEquals(2, c.predictedCount());
        assertEquals(2, c.referenceCount());
    }

    @Test
    void zeroDenominatorsGiveNaN() {
        ConfusionCounts bothEmpty = new ConfusionCounts(0, 0, 0, 10);
        assertTrue(Double.isNaN(bothEmpty.dice()));
        assertTrue(Double.isNaN(bothEmpty.iou()));
        assertTrue(Double.isNaN(bothEmpty.precision()));
        assertTrue(Double.isNaN(bothEmpty.recall()));
        assertEquals(1, bothEmpty.specificity(), 0);
        assertEquals(1, bothEmpty.accuracy(), 0);
    }

    @Test
    void perClassCountsFromOnePassOverLabels() {
        Grid g = Grid.of2d(5, 1);
        LabelVolume pred = LabelVolume.ofBytes(g, new byte[] {0, 1, 2, 2, 7}); // 7 is outside 0..2: "other"
        LabelVolume ref = LabelVolume.ofBytes(g, new byte[] {0, 1, 1, 2, 2});
        ConfusionCounts[] c = ConfusionCounts.perClass(pred, ref, 3);
        assertEquals(new ConfusionCounts(1, 0, 0, 4), c[0]);
        assertEquals(new ConfusionCounts(1, 0, 1, 3), c[1]);
        assertEquals(new ConfusionCounts(1, 1, 1, 2), c[2]);
    }

    @Test
    void perClassAgreesWithMaskCountsOnRandomLabels() {
        Random rnd = new Random(1);
        Grid g = new Grid(7, 6, 5);
        short[] p = new short[g.size()];
        short[] r = new short[g.size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (short) rnd.nextInt(5);
            r[i] = (short) rnd.nextInt(5);
        }
        LabelVolume pred = LabelVolume.ofShorts(g, p);
        LabelVolume ref = LabelVolume.ofShorts(g, r);
        ConfusionCounts[] c = ConfusionCounts.perClass(pred, ref, 4); // label 4 is "other"
        for (int k = 0; k < 4; k++) {
            assertEquals(ConfusionCounts.of(pred.mask(k), ref.mask(k)), c[k], "class " + k);
        }
    }

    @Test
    void rejectsNegativeCountsAndMismatchedGrids() {
        assertThrows(IllegalArgumentException.class, () -> new ConfusionCounts(-1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> ConfusionCounts.of(
                BinaryMask.empty(new Grid(2, 2, 2)), BinaryMask.empty(new Grid(2, 2, 3))));
    }
}
