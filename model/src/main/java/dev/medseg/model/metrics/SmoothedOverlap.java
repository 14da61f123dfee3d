package dev.medseg.model.metrics;

/**
 * IoU and Dice as UNeXt's {@code iou_score} computes them for a batch of binary 2-D masks: pixels are pooled
 * over the whole batch, {@code iou = (|P∩G| + 1e-5) / (|P∪G| + 1e-5)} and {@code dice = 2 iou / (iou + 1)}.
 * The smoothing makes a batch with both masks empty score 1. Per-image values come from {@link #perImage}.
 */
public record SmoothedOverlap(double iou, double dice) {

    /** UNeXt's smoothing constant. */
    public static final double SMOOTH = 1e-5;
    /** UNeXt thresholds probabilities and targets with {@code > 0.5}. */
    public static final double THRESHOLD = 0.5;

    /** The pooled score from intersection and union pixel counts. */
    public static SmoothedOverlap ofCounts(long intersection, long union) {
        if (intersection < 0 || union < intersection) {
            throw new IllegalArgumentException("need 0 <= intersection <= union, got " + intersection + ", " + union);
        }
        double iou = (intersection + SMOOTH) / (union + SMOOTH);
        return new SmoothedOverlap(iou, 2 * iou / (iou + 1));
    }

    /**
     * The pooled score of a batch: {@code probabilities} (after the sigmoid; UNeXt applies it to the logits
     * itself) and {@code targets} in any layout, both thresholded with {@code > 0.5}.
     */
    public static SmoothedOverlap ofBatch(float[] probabilities, float[] targets) {
        requireSameLength(probabilities, targets);
        long intersection = 0;
        long union = 0;
        for (int i = 0; i < probabilities.length; i++) {
            boolean p = probabilities[i] > THRESHOLD;
            boolean t = targets[i] > THRESHOLD;
            if (p && t) {
                intersection++;
            }
            if (p || t) {
                union++;
            }
        }
        return ofCounts(intersection, union);
    }

    /**
     * Confusion counts of each image of a batch laid out image after image ({@code pixelsPerImage} values each),
     * thresholded like {@link #ofBatch}: per-image Dice/IoU without pooling hides nothing.
     */
    public static ConfusionCounts[] perImage(float[] probabilities, float[] targets, int pixelsPerImage) {
        requireSameLength(probabilities, targets);
        if (pixelsPerImage <= 0 || probabilities.length % pixelsPerImage != 0) {
            throw new IllegalArgumentException("batch of " + probabilities.length + " values is not a whole number of "
                    + pixelsPerImage + "-pixel images");
        }
        ConfusionCounts[] out = new ConfusionCounts[probabilities.length / pixelsPerImage];
        for (int img = 0; img < out.length; img++) {
            long tp = 0;
            long fp = 0;
            long fn = 0;
            for (int i = img * pixelsPerImage, end = i + pixelsPerImage; i < end; i++) {
                boolean p = probabilities[i] > THRESHOLD;
                boolean t = targets[i] > THRESHOLD;
                if (p && t) {
                    tp++;
                } else if (p) {
                    fp++;
                } else if (t) {
                    fn++;
                }
            }
            out[img] = new ConfusionCounts(tp, fp, fn, pixelsPerImage - tp - fp - fn);
        }
        return out;
    }

    private static void requireSameLength(float[] probabilities, float[] targets) {
        if (probabilities.length != targets.length) {
            throw new IllegalArgumentException("probabilities have " + probabilities.length + " values, targets " + targets.length);
        }
    }
}
