package dev.medseg.model.metrics;

/** Which of prediction and reference contain the class: selects the branch of an {@link EmptyMaskRule}. */
public enum Presence {
    /** Both masks non-empty: every metric is computed. */
    BOTH_PRESENT,
    /** Prediction non-empty, reference empty (a false detection). */
    REF_EMPTY,
    /** Prediction empty, reference non-empty (a miss). */
    PRED_EMPTY,
    /** Neither contains the class. */
    BOTH_EMPTY;

    /** The branch for a prediction of {@code predicted} voxels against a reference of {@code reference} voxels. */
    public static Presence of(long predicted, long reference) {
        if (predicted > 0) {
            return reference > 0 ? BOTH_PRESENT : REF_EMPTY;
        }
        return reference > 0 ? PRED_EMPTY : BOTH_EMPTY;
    }
}
