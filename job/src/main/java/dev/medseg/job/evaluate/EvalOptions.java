package dev.medseg.job.evaluate;

import dev.medseg.model.metrics.EmptyMaskRule;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * How cases are scored and how their {@code case_metrics} rows are labelled.
 *
 * @param runId      {@code run_id} of the rows
 * @param dataset    {@code dataset} of the rows
 * @param split      {@code split} of the rows
 * @param numClasses the model's output channels (1: binary sigmoid, else softmax with background 0)
 * @param classNames names of classes 1..scored, or empty
 * @param rule       the empty-mask rule
 */
public record EvalOptions(String runId, String dataset, String split, int numClasses, List<String> classNames,
                          EmptyMaskRule rule) implements Serializable {

    /** Checks the values and copies the names. */
    public EvalOptions {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(rule, "rule");
        if (numClasses < 1 || numClasses > 255) {
            throw new IllegalArgumentException("numClasses must be in 1..255 (uint8 masks), got " + numClasses);
        }
        classNames = List.copyOf(classNames);
        // fields are not assigned yet in a compact constructor: use the parameter
        int scored = Math.max(1, numClasses - 1);
        if (!classNames.isEmpty() && classNames.size() != scored) {
            throw new IllegalArgumentException(classNames.size() + " class names for " + scored + " classes");
        }
    }

    /** The largest class id scored (and predicted): 1 for a binary model, else numClasses - 1. */
    public int lastClass() {
        return Math.max(1, numClasses - 1);
    }

    /** The name of class {@code id} (1..lastClass), or null. */
    public String className(int id) {
        return classNames.isEmpty() ? null : classNames.get(id - 1);
    }
}
