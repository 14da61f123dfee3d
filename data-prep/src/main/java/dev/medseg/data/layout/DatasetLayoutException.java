package dev.medseg.data.layout;

/** A dataset root that cannot be listed, malformed metadata, or a listing with rejected files. Unchecked. */
public final class DatasetLayoutException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that names the file or folder and the problem. */
    public DatasetLayoutException(String message) {
        super(message);
    }

    /** Creates the exception with a message and the I/O (or other) failure behind it. */
    public DatasetLayoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
