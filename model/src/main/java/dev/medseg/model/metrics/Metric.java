package dev.medseg.model.metrics;

import java.util.function.ToDoubleFunction;

/** A per-class value that {@link MetricsAccumulator} averages. */
public enum Metric {
    DICE(ClassScore::dice),
    IOU(ClassScore::iou),
    HD95_VOXELS(ClassScore::hd95Voxels),
    HD95_MM(ClassScore::hd95Mm),
    HAUSDORFF_MM(ClassScore::hausdorffMm),
    ASSD_MM(ClassScore::assdMm),
    PRECISION(ClassScore::precision),
    RECALL(ClassScore::recall),
    SPECIFICITY(ClassScore::specificity),
    ACCURACY(ClassScore::accuracy);

    private final ToDoubleFunction<ClassScore> reader;

    Metric(ToDoubleFunction<ClassScore> reader) {
        this.reader = reader;
    }

    /** This metric's value in {@code score}. */
    public double of(ClassScore score) {
        return reader.applyAsDouble(score);
    }
}
