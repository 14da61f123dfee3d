package dev.medseg.data.layout;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A file that did not become a case, with the reason.
 *
 * @param file    the offending (or, for {@link LayoutProblem#MISSING_CASE}, the expected) file
 * @param problem the kind of problem
 * @param detail  one human-readable sentence, e.g. the partner path that was looked for
 */
public record Rejected(Path file, LayoutProblem problem, String detail) {

    /** Validates that every component is present. */
    public Rejected {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(problem, "problem");
        Objects.requireNonNull(detail, "detail");
    }

    @Override
    public String toString() {
        return problem + " " + file + ": " + detail;
    }
}
