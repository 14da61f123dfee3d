package dev.medseg.model.metrics;

/**
 * What a per-case, per-class score is when a mask is empty. Dice and IoU ("overlap") follow one column,
 * the surface distances (HD95 in voxels and mm, Hausdorff, ASSD) the other; with both masks present every
 * rule computes the real values. Ratios such as precision are never touched by the rule (see
 * {@link ConfusionCounts}).
 *
 * <pre>
 *               BOTH_PRESENT   REF_EMPTY      PRED_EMPTY     BOTH_EMPTY
 * TRANSUNET     computed       1 / 0          0 / 0          0 / 0        (overlap / surface)
 * NNUNET        computed       0 / NaN        0 / NaN        NaN / NaN
 * </pre>
 */
public enum EmptyMaskRule {
    /**
     * TransUNet's {@code calculate_metric_percase} (test.py / utils.py): prediction present but reference
     * empty scores (dice 1, hd95 0); an empty prediction scores (0, 0) whatever the reference, so a case where
     * both are empty counts as a failure with a perfect distance. No NaN ever appears, means are sum / n.
     */
    TRANSUNET(1, 0, 0, 0, 0, 0),
    /**
     * nnU-Net v2's {@code compute_metrics}: Dice/IoU are NaN when both masks are empty (tp+fp+fn = 0) and 0 when
     * exactly one is; nnU-Net reports no surface distance, so it is NaN whenever a mask is empty (undefined).
     * Means skip NaN as nnU-Net's {@code nanmean} does.
     */
    NNUNET(0, Double.NaN, 0, Double.NaN, Double.NaN, Double.NaN);

    private final double refEmptyOverlap;
    private final double refEmptySurface;
    private final double predEmptyOverlap;
    private final double predEmptySurface;
    private final double bothEmptyOverlap;
    private final double bothEmptySurface;

    EmptyMaskRule(double refEmptyOverlap, double refEmptySurface, double predEmptyOverlap,
                  double predEmptySurface, double bothEmptyOverlap, double bothEmptySurface) {
        this.refEmptyOverlap = refEmptyOverlap;
        this.refEmptySurface = refEmptySurface;
        this.predEmptyOverlap = predEmptyOverlap;
        this.predEmptySurface = predEmptySurface;
        this.bothEmptyOverlap = bothEmptyOverlap;
        this.bothEmptySurface = bothEmptySurface;
    }

    /** Dice and IoU for a branch with an empty mask; throws for {@link Presence#BOTH_PRESENT}, which is computed. */
    public double overlap(Presence presence) {
        return switch (presence) {
            case REF_EMPTY -> refEmptyOverlap;
            case PRED_EMPTY -> predEmptyOverlap;
            case BOTH_EMPTY -> bothEmptyOverlap;
            case BOTH_PRESENT -> throw new IllegalArgumentException("overlap is computed when both masks are present");
        };
    }

    /** Every surface distance for a branch with an empty mask; throws for {@link Presence#BOTH_PRESENT}. */
    public double surface(Presence presence) {
        return switch (presence) {
            case REF_EMPTY -> refEmptySurface;
            case PRED_EMPTY -> predEmptySurface;
            case BOTH_EMPTY -> bothEmptySurface;
            case BOTH_PRESENT -> throw new IllegalArgumentException("surface distances are computed when both masks are present");
        };
    }
}
