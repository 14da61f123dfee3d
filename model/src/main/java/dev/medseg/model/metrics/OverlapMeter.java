package dev.medseg.model.metrics;

/**
 * UNeXt's validation averaging: each batch's pooled {@link SmoothedOverlap} weighted by the batch size
 * ({@code AverageMeter.update(val, n)}), next to the plain per-image means of Dice and IoU, where an image with
 * both masks empty (0/0) is counted apart instead of being scored.
 */
public final class OverlapMeter {

    private double weightedIou;
    private double weightedDice;
    private long images;
    private double imageDiceSum;
    private double imageIouSum;
    private long imagesScored;

    /** Adds one batch laid out image after image, {@code pixelsPerImage} values per image. */
    public void addBatch(float[] probabilities, float[] targets, int pixelsPerImage) {
        ConfusionCounts[] perImage = SmoothedOverlap.perImage(probabilities, targets, pixelsPerImage);
        SmoothedOverlap pooled = SmoothedOverlap.ofBatch(probabilities, targets);
        weightedIou += pooled.iou() * perImage.length;
        weightedDice += pooled.dice() * perImage.length;
        images += perImage.length;
        for (ConfusionCounts c : perImage) {
            if (c.tp() + c.fp() + c.fn() > 0) {
                imageDiceSum += c.dice();
                imageIouSum += c.iou();
                imagesScored++;
            }
        }
    }

    /** UNeXt's reported IoU: batch-size-weighted mean of pooled batch IoUs; NaN before any batch. */
    public double pooledIou() {
        return images == 0 ? Double.NaN : weightedIou / images;
    }

    /** UNeXt's reported Dice, averaged like {@link #pooledIou()}. */
    public double pooledDice() {
        return images == 0 ? Double.NaN : weightedDice / images;
    }

    /** Mean Dice over images where at least one mask is non-empty. */
    public double perImageDice() {
        return imagesScored == 0 ? Double.NaN : imageDiceSum / imagesScored;
    }

    /** Mean IoU over images where at least one mask is non-empty. */
    public double perImageIou() {
        return imagesScored == 0 ? Double.NaN : imageIouSum / imagesScored;
    }

    /** Images seen. */
    public long images() {
        return images;
    }

    /** Images with both masks empty, left out of the per-image means. */
    public long imagesBothEmpty() {
        return images - imagesScored;
    }
}
