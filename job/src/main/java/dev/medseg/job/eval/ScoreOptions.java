package dev.medseg.job.eval;

import dev.medseg.model.metrics.EmptyMaskRule;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * What {@link FolderScoring} scores and how the rows are labelled.
 *
 * @param runId            {@code run_id} of every row
 * @param dataset          {@code dataset} of every row
 * @param split            {@code split} of every row
 * @param classes          class ids to score, increasing, each >= 1; labels outside these (and 0) are a problem
 * @param classNames       one name per class id, or empty for none
 * @param rule             the empty-mask rule
 * @param headerSpacing    true: hd95_mm uses the NIfTI header spacing; false: voxel units for both HD95 columns
 */
public record ScoreOptions(String runId, String dataset, String split, List<Integer> classes,
                           List<String> classNames, EmptyMaskRule rule, boolean headerSpacing) implements Serializable {

    /** Copies the lists and checks classes and names. */
    public ScoreOptions {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(rule, "rule");
        classes = List.copyOf(classes);
        classNames = List.copyOf(classNames);
        if (classes.isEmpty()) {
            throw new IllegalArgumentException("no class to score");
        }
        for (int i = 0; i < classes.size(); i++) {
            if (classes.get(i) < 1 || classes.get(i) > 4095 || (i > 0 && classes.get(i) <= classes.get(i - 1))) {
                throw new IllegalArgumentException("classes must be increasing ids in 1..4095, got " + classes);
            }
        }
        if (!classNames.isEmpty() && classNames.size() != classes.size()) {
            throw new IllegalArgumentException(classNames.size() + " class names for " + classes.size() + " classes " + classes);
        }
    }

    /** The name of the i-th class, or null if no names were given. */
    public String className(int index) {
        return classNames.isEmpty() ? null : classNames.get(index);
    }

    /** The largest class id. */
    public int lastClass() {
        return classes.get(classes.size() - 1);
    }
}
