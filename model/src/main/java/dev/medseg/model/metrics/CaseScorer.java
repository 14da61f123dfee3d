package dev.medseg.model.metrics;

import java.util.ArrayList;
import java.util.List;

/** Scores a predicted label map against a reference label map, class by class, as TransUNet's test.py does. */
public final class CaseScorer {

    private CaseScorer() {
    }

    /**
     * Scores classes {@code 1..lastClass} (0 is background and is not scored). Confusion counts come from one
     * pass over both label maps; binary masks and surfaces are built only for classes present in both.
     */
    public static CaseMetrics score(String caseId, LabelVolume prediction, LabelVolume reference, int lastClass,
                                    Spacing spacing, EmptyMaskRule rule) {
        if (lastClass < 1) {
            throw new IllegalArgumentException("lastClass must be >= 1, got " + lastClass);
        }
        ConfusionCounts[] counts = ConfusionCounts.perClass(prediction, reference, lastClass + 1);
        List<ClassScore> scores = new ArrayList<>(lastClass);
        for (int c = 1; c <= lastClass; c++) {
            Presence presence = Presence.of(counts[c].predictedCount(), counts[c].referenceCount());
            scores.add(presence == Presence.BOTH_PRESENT
                    ? computed(c, prediction.mask(c), reference.mask(c), counts[c], spacing, rule)
                    : byRule(c, counts[c], presence, rule));
        }
        return new CaseMetrics(caseId, scores);
    }

    /** Scores one binary prediction against one binary reference as class {@code classId}. */
    public static ClassScore scoreClass(int classId, BinaryMask prediction, BinaryMask reference, Spacing spacing,
                                        EmptyMaskRule rule) {
        ConfusionCounts counts = ConfusionCounts.of(prediction, reference);
        Presence presence = Presence.of(counts.predictedCount(), counts.referenceCount());
        return presence == Presence.BOTH_PRESENT
                ? computed(classId, prediction, reference, counts, spacing, rule)
                : byRule(classId, counts, presence, rule);
    }

    private static ClassScore computed(int classId, BinaryMask prediction, BinaryMask reference,
                                       ConfusionCounts counts, Spacing spacing, EmptyMaskRule rule) {
        // surfaces do not depend on spacing: extract once, measure twice
        BinaryMask predSurface = SurfaceDistances.surface(prediction);
        BinaryMask refSurface = SurfaceDistances.surface(reference);
        SurfaceDistances voxels = SurfaceDistances.betweenSurfaces(predSurface, refSurface, Spacing.UNIT);
        SurfaceDistances mm = spacing.equals(Spacing.UNIT)
                ? voxels
                : SurfaceDistances.betweenSurfaces(predSurface, refSurface, spacing);
        return new ClassScore(classId, rule, Presence.BOTH_PRESENT, counts, counts.dice(), counts.iou(),
                voxels.hd95(), mm.hd95(), mm.hausdorff(), mm.averageSymmetric());
    }

    private static ClassScore byRule(int classId, ConfusionCounts counts, Presence presence, EmptyMaskRule rule) {
        double overlap = rule.overlap(presence);
        double surface = rule.surface(presence);
        return new ClassScore(classId, rule, presence, counts, overlap, overlap, surface, surface, surface, surface);
    }
}
