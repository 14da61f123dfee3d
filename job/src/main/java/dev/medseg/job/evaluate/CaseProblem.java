package dev.medseg.job.evaluate;

/**
 * Why one case cannot be evaluated or predicted (missing slices, missing or malformed native labels, class ids
 * the model does not have). It never stops the job: the message becomes the case's {@code problem}.
 */
public final class CaseProblem extends RuntimeException {
    /** A problem of case {@code caseId}; the message should say what is wrong, not which case. */
    public CaseProblem(String message) {
        super(message);
    }

    /** The same, keeping the underlying error. */
    public CaseProblem(String message, Throwable cause) {
        super(message, cause);
    }
}
