package dev.medseg.model.io;

/**
 * A tensor or checkpoint file is malformed, truncated, unsupported or does not hold what was asked for.
 * The message always names the file, and the tensor when one is concerned.
 */
public final class CheckpointFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A problem with the file as a whole. */
    public CheckpointFormatException(String file, String problem) {
        super(file + ": " + problem);
    }

    /** A problem with one tensor of the file; {@code tensor} may be null. */
    public CheckpointFormatException(String file, String tensor, String problem) {
        super(tensor == null ? file + ": " + problem : file + ": tensor '" + tensor + "': " + problem);
    }

    /** As {@link #CheckpointFormatException(String, String, String)}, keeping the I/O or parse error as cause. */
    public CheckpointFormatException(String file, String tensor, String problem, Throwable cause) {
        super(tensor == null ? file + ": " + problem : file + ": tensor '" + tensor + "': " + problem, cause);
    }
}
