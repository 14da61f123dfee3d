package dev.medseg.data.prep;

/**
 * The prep job cannot run or was refused: bad options, an output that already exists, an unusable input root,
 * or (with {@code strict}) rejected cases. Nothing was written to the output when this is thrown.
 */
public final class PrepException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Whether the job ran and failed because cases were rejected in strict mode. */
    private final boolean rejections;

    /** A refusal or failure with a message that says what to fix. */
    public PrepException(String message) {
        this(message, false, null);
    }

    /** Same, with a cause. */
    public PrepException(String message, Throwable cause) {
        this(message, false, cause);
    }

    PrepException(String message, boolean rejections, Throwable cause) {
        super(message, cause);
        this.rejections = rejections;
    }

    /** True when strict mode failed the job because cases were rejected. */
    public boolean isStrictRejection() {
        return rejections;
    }
}
