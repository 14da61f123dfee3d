package dev.medseg.job.evaluate;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Class decisions from logits and the nearest-neighbour resize back to the native grid. */
class SlicePredictorTest {

    /**
     * A 4x4 prediction with ids 0..15 to a 6x5 native grid. By hand, with scipy zoom's order 0 (input position
     * i * (in - 1) / (out - 1), rounded half up): rows 0, .6, 1.2, 1.8, 2.4, 3 -> 0, 1, 1, 2, 2, 3; columns 0, .75,
     * 1.5, 2.25, 3 -> 0, 1, 2, 2, 3 (scipy.ndimage.zoom(a, (6/4, 5/4), order=0) prints the same).
     */
    @Test
    void nearestResizeMatchesScipyOrderZeroOnAHandCase() {
        byte[] model = new byte[16];
        for (int i = 0; i < 16; i++) {
            model[i] = (byte) i;
        }
        byte[] expected = {
                0, 1, 2, 2, 3,
                4, 5, 6, 6, 7,
                4, 5, 6, 6, 7,
                8, 9, 10, 10, 11,
                8, 9, 10, 10, 11,
                12, 13, 14, 14, 15};
        assertArrayEquals(expected, SlicePredictor.toNative(model, 4, 6, 5));
        // same size is the identity
        assertArrayEquals(model, SlicePredictor.toNative(model, 4, 4, 4));
    }

    @Test
    void argmaxKeepsTheFirstMaximumAndBinaryThresholdsAtZero() {
        // two samples, K = 3, two pixels each: (N, K, P) flat
        float[] logits = {
                0.1f, 2f, /* class 0 */ 0.5f, 2f, /* class 1 */ 0.5f, -1f, /* class 2 */
                -3f, 0f, /* class 0 */ -1f, 0f, /* class 1 */ -2f, 1e-3f /* class 2 */};
        assertArrayEquals(new byte[]{1, 0}, SlicePredictor.classes(logits, 0, 3, 2)); // tie 1 vs 2 keeps 1; tie 0 vs 1 keeps 0
        assertArrayEquals(new byte[]{1, 2}, SlicePredictor.classes(logits, 1, 3, 2));
        float[] binary = {0f, 1e-6f, -2f, 3f};
        assertArrayEquals(new byte[]{0, 1}, SlicePredictor.classes(binary, 0, 1, 2)); // sigmoid(0) = 0.5 is not > 0.5
        assertArrayEquals(new byte[]{0, 1}, SlicePredictor.classes(binary, 1, 1, 2));
    }

    @Test
    void overlaySliceTakesMostReferenceThenPredictionThenTheMiddle() {
        int plane = 2;
        // 5 slices: reference foreground 0,1,1,0,0; prediction 0,0,1,0,0 -> slice 2
        byte[] ref = {0, 0, 1, 0, 0, 1, 0, 0, 0, 0};
        byte[] pred = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0};
        assertEquals(2, CaseEvaluator.overlaySlice(ref, pred, 5, plane));
        // nothing anywhere: the middle slice
        assertEquals(2, CaseEvaluator.overlaySlice(new byte[10], new byte[10], 5, plane));
        // equal reference in slices 0 and 3, nothing predicted: slice 3 is nearer the middle (2)
        byte[] ref2 = {1, 0, 0, 0, 0, 0, 1, 0, 0, 0};
        assertEquals(3, CaseEvaluator.overlaySlice(ref2, new byte[10], 5, plane));
    }

    @Test
    void classNamesFollowTheDataset() {
        assertEquals(java.util.List.of("RV", "Myo", "LV"), ClassNames.of("acdc", 3));
        assertEquals("pancreas", ClassNames.of("Synapse", 8).get(7));
        assertEquals(java.util.List.of("lesion"), ClassNames.of("isic2017", 1));
        assertEquals(java.util.List.of(), ClassNames.of("acdc", 5)); // a model with other classes gets no names
        assertEquals(java.util.List.of(), ClassNames.of("unknown", 3));
    }
}
