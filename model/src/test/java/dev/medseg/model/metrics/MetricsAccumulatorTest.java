package dev.medseg.model.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsAccumulatorTest {

    private static final ConfusionCounts PRESENT = new ConfusionCounts(5, 1, 1, 100);
    private static final ConfusionCounts NONE = new ConfusionCounts(0, 0, 0, 100);

    private static ClassScore present(int classId, double dice, double hd95) {
        return new ClassScore(classId, EmptyMaskRule.TRANSUNET, Presence.BOTH_PRESENT, PRESENT, dice, dice, hd95, 2 * hd95, hd95, hd95);
    }

    private static ClassScore bothEmptyNnunet(int classId) {
        return new ClassScore(classId, EmptyMaskRule.NNUNET, Presence.BOTH_EMPTY, NONE,
                Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    @Test
    void transunetAggregationIsSumOverCasesThenMeanOverClasses() {
        MetricsAccumulator acc = new MetricsAccumulator(2);
        acc.add(new CaseMetrics("a", List.of(present(1, 0.8, 4), present(2, 0.5, 10))));
        acc.add(new CaseMetrics("b", List.of(present(1, 0.6, 2), present(2, 0.0, 0))));
        assertEquals(2, acc.cases());
        assertArrayEquals(new double[] {0.7, 0.25}, acc.classMeans(Metric.DICE), 1e-15);
        assertEquals((0.7 + 0.25) / 2, acc.overallMean(Metric.DICE), 1e-15);
        assertEquals(3, acc.mean(Metric.HD95_VOXELS, 1), 0);
        assertEquals(6, acc.mean(Metric.HD95_MM, 1), 0);
        assertEquals((3 + 5) / 2.0, acc.overallMean(Metric.HD95_VOXELS), 0);
        assertEquals(5.0 / 6, acc.mean(Metric.PRECISION, 2), 1e-15);
    }

    @Test
    void nanValuesAreSkippedAndCounted() {
        MetricsAccumulator acc = new MetricsAccumulator(1);
        acc.add(new CaseMetrics("a", List.of(present(1, 0.9, 1))));
        acc.add(new CaseMetrics("b", List.of(bothEmptyNnunet(1))));
        assertEquals(0.9, acc.mean(Metric.DICE, 1), 0);
        assertEquals(1, acc.count(Metric.DICE, 1));
        assertEquals(2, acc.count(Metric.ACCURACY, 1));
        MetricsAccumulator onlyEmpty = new MetricsAccumulator(1);
        onlyEmpty.add(new CaseMetrics("b", List.of(bothEmptyNnunet(1))));
        assertTrue(Double.isNaN(onlyEmpty.mean(Metric.DICE, 1)));
    }

    @Test
    void mergeEqualsAddingEverything() {
        CaseMetrics a = new CaseMetrics("a", List.of(present(1, 0.8, 4)));
        CaseMetrics b = new CaseMetrics("b", List.of(present(1, 0.2, 8)));
        MetricsAccumulator left = new MetricsAccumulator(1);
        left.add(a);
        MetricsAccumulator right = new MetricsAccumulator(1);
        right.add(b);
        left.merge(right);
        MetricsAccumulator all = new MetricsAccumulator(1);
        all.add(a);
        all.add(b);
        for (Metric m : Metric.values()) {
            assertEquals(all.mean(m, 1), left.mean(m, 1), 0, m.name());
        }
        assertEquals(2, left.cases());
    }

    @Test
    void rejectsCasesWithTheWrongClasses() {
        MetricsAccumulator acc = new MetricsAccumulator(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> acc.add(new CaseMetrics("x", List.of(present(1, 1, 0)))));
        assertEquals("case x scores 1 classes, accumulator expects 2", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new CaseMetrics("y", List.of(present(2, 1, 0), present(1, 1, 0))));
    }
}
