package dev.medseg.model.metrics;

/**
 * Voxel confusion counts of a binary prediction against a binary reference, and the ratios made from them.
 * Every ratio is the plain formula and is NaN when its denominator is 0 (for example precision with an
 * empty prediction); the empty-mask conventions of published code live in {@link EmptyMaskRule}, not here.
 */
public record ConfusionCounts(long tp, long fp, long fn, long tn) {

    /** Validates that no count is negative. */
    public ConfusionCounts {
        if (tp < 0 || fp < 0 || fn < 0 || tn < 0) {
            throw new IllegalArgumentException("counts must be >= 0: tp=" + tp + " fp=" + fp + " fn=" + fn + " tn=" + tn);
        }
    }

    /** Counts of {@code prediction} against {@code reference} on the same grid. */
    public static ConfusionCounts of(BinaryMask prediction, BinaryMask reference) {
        prediction.requireSameGrid(reference);
        long tp = prediction.intersectionCount(reference);
        long fp = prediction.count() - tp;
        long fn = reference.count() - tp;
        long tn = prediction.grid().size() - tp - fp - fn;
        return new ConfusionCounts(tp, fp, fn, tn);
    }

    /**
     * Counts for every class {@code 0..numClasses-1} in one pass over two label maps; ids outside that range
     * count as "some other class". Element {@code c} of the result is class {@code c} against the rest.
     */
    public static ConfusionCounts[] perClass(LabelVolume prediction, LabelVolume reference, int numClasses) {
        if (!prediction.grid().equals(reference.grid())) {
            throw new IllegalArgumentException("label maps live on different grids: " + prediction.grid() + " vs " + reference.grid());
        }
        if (numClasses < 1 || numClasses > 4096) {
            throw new IllegalArgumentException("numClasses must be in 1..4096, got " + numClasses);
        }
        int other = numClasses; // bucket for ids outside 0..numClasses-1
        int side = numClasses + 1;
        long[] joint = new long[side * side]; // joint[p * side + r]
        int n = prediction.grid().size();
        for (int i = 0; i < n; i++) {
            int p = prediction.label(i);
            int r = reference.label(i);
            p = p < 0 || p >= numClasses ? other : p;
            r = r < 0 || r >= numClasses ? other : r;
            joint[p * side + r]++;
        }
        ConfusionCounts[] out = new ConfusionCounts[numClasses];
        for (int c = 0; c < numClasses; c++) {
            long predCount = 0;
            long refCount = 0;
            for (int k = 0; k < side; k++) {
                predCount += joint[c * side + k];
                refCount += joint[k * side + c];
            }
            long tp = joint[c * side + c];
            out[c] = new ConfusionCounts(tp, predCount - tp, refCount - tp, n - predCount - refCount + tp);
        }
        return out;
    }

    /** |prediction| = tp + fp. */
    public long predictedCount() {
        return tp + fp;
    }

    /** |reference| = tp + fn. */
    public long referenceCount() {
        return tp + fn;
    }

    /** All voxels. */
    public long total() {
        return tp + fp + fn + tn;
    }

    /** Dice = 2tp / (2tp + fp + fn) = 2|P∩R| / (|P| + |R|). */
    public double dice() {
        return ratio(2 * tp, 2 * tp + fp + fn);
    }

    /** IoU (Jaccard) = tp / (tp + fp + fn) = |P∩R| / |P∪R|. */
    public double iou() {
        return ratio(tp, tp + fp + fn);
    }

    /** Precision = tp / (tp + fp). */
    public double precision() {
        return ratio(tp, tp + fp);
    }

    /** Recall (sensitivity) = tp / (tp + fn). */
    public double recall() {
        return ratio(tp, tp + fn);
    }

    /** Specificity = tn / (tn + fp). */
    public double specificity() {
        return ratio(tn, tn + fp);
    }

    /** Accuracy = (tp + tn) / all voxels. */
    public double accuracy() {
        return ratio(tp + tn, total());
    }

    private static double ratio(long num, long den) {
        return den == 0 ? Double.NaN : (double) num / den;
    }
}
