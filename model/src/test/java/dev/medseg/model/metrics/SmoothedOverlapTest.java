package dev.medseg.model.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SmoothedOverlapTest {

    @Test
    void pooledBatchScoreAsUnextIouScore() {
        // prediction > 0.5: T T F F (0.5 itself is not above), target > 0.5: T F T T -> |P∩G| = 1, |P∪G| = 4
        SmoothedOverlap s = SmoothedOverlap.ofBatch(new float[] {0.9f, 0.6f, 0.4f, 0.5f}, new float[] {1, 0, 1, 1});
        double iou = (1 + 1e-5) / (4 + 1e-5);
        assertEquals(iou, s.iou(), 0);
        assertEquals(2 * iou / (iou + 1), s.dice(), 0);
    }

    @Test
    void bothEmptyBatchScoresOne() {
        SmoothedOverlap s = SmoothedOverlap.ofBatch(new float[] {0.1f, 0.2f}, new float[] {0, 0});
        assertEquals(1, s.iou(), 0);
        assertEquals(1, s.dice(), 0);
    }

    @Test
    void perImageCountsSplitTheBatch() {
        ConfusionCounts[] c = SmoothedOverlap.perImage(new float[] {0.9f, 0.6f, 0.4f, 0.1f}, new float[] {1, 0, 0, 0}, 2);
        assertEquals(new ConfusionCounts(1, 1, 0, 0), c[0]);
        assertEquals(new ConfusionCounts(0, 0, 0, 2), c[1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SmoothedOverlap.perImage(new float[3], new float[3], 2));
        assertEquals("batch of 3 values is not a whole number of 2-pixel images", e.getMessage());
    }

    @Test
    void meterWeightsBatchesBySizeAndKeepsPerImageMeans() {
        OverlapMeter meter = new OverlapMeter();
        // batch 1: two 2-pixel images, image A perfect (1 px), image B empty in both
        meter.addBatch(new float[] {0.9f, 0.1f, 0.2f, 0.3f}, new float[] {1, 0, 0, 0}, 2);
        // batch 2: one image with one hit and one miss
        meter.addBatch(new float[] {0.9f, 0.1f}, new float[] {1, 1}, 2);
        double batch1 = (1 + 1e-5) / (1 + 1e-5);
        double batch2 = (1 + 1e-5) / (2 + 1e-5);
        assertEquals((2 * batch1 + batch2) / 3, meter.pooledIou(), 1e-15);
        assertEquals(3, meter.images());
        assertEquals(1, meter.imagesBothEmpty());
        assertEquals((1 + 2.0 / 3) / 2, meter.perImageDice(), 1e-15);
        assertEquals((1 + 0.5) / 2, meter.perImageIou(), 1e-15);
    }
}
