package dev.medseg.job.bench;

/** A benchmark could not run or its output could not be read (a child JVM or the peer failed, bad output). */
public final class BenchException extends RuntimeException {
    /** With a message that says what failed. */
    public BenchException(String message) { super(message); }

    /** With a message and the cause. */
    public BenchException(String message, Throwable cause) { super(message, cause); }
}
