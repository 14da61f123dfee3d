package dev.medseg.job.tables;

/** A result table or one of its rows is missing, malformed or of a schema this build does not know. */
public final class ResultTableException extends RuntimeException {
    /** A problem described by {@code message}, which names the table or row. */
    public ResultTableException(String message) {
        super(message);
    }

    /** A problem described by {@code message}, caused by {@code cause}. */
    public ResultTableException(String message, Throwable cause) {
        super(message, cause);
    }
}
