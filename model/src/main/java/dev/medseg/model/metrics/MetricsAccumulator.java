package dev.medseg.model.metrics;

import java.util.Arrays;

/**
 * Per-class means over cases, and the mean over classes of those means, as TransUNet aggregates
 * (sum over cases / number of cases per class, then the mean over classes). NaN values are skipped per class
 * (nnU-Net's {@code nanmean}); under {@link EmptyMaskRule#TRANSUNET} Dice and HD95 are never NaN, so their
 * means are exactly TransUNet's. Ratios such as precision can be NaN under any rule and are skipped alike.
 * Not thread-safe; accumulators of disjoint cases combine with {@link #merge}.
 */
public final class MetricsAccumulator {

    private final int lastClass;
    private final double[] sums;   // [metric][class-1]
    private final long[] counts;   // non-NaN values added
    private long cases;

    /** An accumulator for classes {@code 1..lastClass}. */
    public MetricsAccumulator(int lastClass) {
        if (lastClass < 1) {
            throw new IllegalArgumentException("lastClass must be >= 1, got " + lastClass);
        }
        this.lastClass = lastClass;
        this.sums = new double[Metric.values().length * lastClass];
        this.counts = new long[sums.length];
    }

    /** Adds one case; it must score exactly the classes 1..lastClass. */
    public void add(CaseMetrics caseMetrics) {
        if (caseMetrics.classes().size() != lastClass) {
            throw new IllegalArgumentException("case " + caseMetrics.caseId() + " scores " + caseMetrics.classes().size()
                    + " classes, accumulator expects " + lastClass);
        }
        for (ClassScore s : caseMetrics.classes()) {
            if (s.classId() < 1 || s.classId() > lastClass) {
                throw new IllegalArgumentException("class " + s.classId() + " outside 1.." + lastClass + " in case " + caseMetrics.caseId());
            }
            for (Metric m : Metric.values()) {
                double v = m.of(s);
                if (!Double.isNaN(v)) {
                    int slot = slot(m, s.classId());
                    sums[slot] += v;
                    counts[slot]++;
                }
            }
        }
        cases++;
    }

    /** Adds everything {@code other} has seen (for example another partition's cases). */
    public void merge(MetricsAccumulator other) {
        if (other.lastClass != lastClass) {
            throw new IllegalArgumentException("cannot merge accumulators of " + other.lastClass + " and " + lastClass + " classes");
        }
        for (int i = 0; i < sums.length; i++) {
            sums[i] += other.sums[i];
            counts[i] += other.counts[i];
        }
        cases += other.cases;
    }

    /** Cases added so far. */
    public long cases() {
        return cases;
    }

    /** Mean of {@code metric} for {@code classId} over the cases where it is not NaN; NaN if there are none. */
    public double mean(Metric metric, int classId) {
        int slot = slot(metric, classId);
        return counts[slot] == 0 ? Double.NaN : sums[slot] / counts[slot];
    }

    /** How many cases contributed a non-NaN value of {@code metric} for {@code classId}. */
    public long count(Metric metric, int classId) {
        return counts[slot(metric, classId)];
    }

    /** Mean over classes 1..lastClass of the per-class means (NaN if any class mean is NaN). */
    public double overallMean(Metric metric) {
        double sum = 0;
        for (int c = 1; c <= lastClass; c++) {
            sum += mean(metric, c);
        }
        return sum / lastClass;
    }

    /** Per-class means of {@code metric}, element {@code c-1} for class {@code c}. */
    public double[] classMeans(Metric metric) {
        double[] out = new double[lastClass];
        Arrays.setAll(out, i -> mean(metric, i + 1));
        return out;
    }

    private int slot(Metric metric, int classId) {
        if (classId < 1 || classId > lastClass) {
            throw new IllegalArgumentException("class " + classId + " outside 1.." + lastClass);
        }
        return metric.ordinal() * lastClass + classId - 1;
    }
}
