package dev.medseg.model.metrics;

/**
 * One class of one case: the counts, the rule and the branch that produced the values, and the values.
 * Dice and IoU follow the rule when a mask is empty; surface distances are {@code hd95Voxels} (spacing 1,
 * TransUNet's unit) and the spacing-aware {@code hd95Mm}, {@code hausdorffMm}, {@code assdMm}.
 */
public record ClassScore(int classId, EmptyMaskRule rule, Presence presence, ConfusionCounts counts,
                         double dice, double iou, double hd95Voxels, double hd95Mm,
                         double hausdorffMm, double assdMm) {

    /** Validates that the branch matches the counts, so a row can never claim the wrong rule branch. */
    public ClassScore {
        if (presence != Presence.of(counts.predictedCount(), counts.referenceCount())) {
            throw new IllegalArgumentException("presence " + presence + " contradicts counts " + counts);
        }
    }

    /** tp / (tp + fp); NaN for an empty prediction. */
    public double precision() {
        return counts.precision();
    }

    /** tp / (tp + fn), the sensitivity; NaN for an empty reference. */
    public double recall() {
        return counts.recall();
    }

    /** tn / (tn + fp). */
    public double specificity() {
        return counts.specificity();
    }

    /** (tp + tn) / all voxels. */
    public double accuracy() {
        return counts.accuracy();
    }

    /** Voxels predicted as this class. */
    public long predictedCount() {
        return counts.predictedCount();
    }

    /** Voxels of this class in the reference. */
    public long referenceCount() {
        return counts.referenceCount();
    }
}
