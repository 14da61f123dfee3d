package dev.medseg.data.io;

import java.nio.file.Path;

/**
 * A medical or 2-D image file could not be read: malformed, truncated, unsupported or over a size limit.
 * The message always starts with the file it concerns, so a failed case in a large dataset can be found.
 */
public final class ImageFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String file;

    /** A problem with {@code file}; the message reads {@code "<file>: <problem>"}. */
    public ImageFormatException(Path file, String problem) {
        this(String.valueOf(file), problem, null);
    }

    /** A problem with {@code file} caused by a lower-level exception (I/O, decoder). */
    public ImageFormatException(Path file, String problem, Throwable cause) {
        this(String.valueOf(file), problem, cause);
    }

    /** A problem with a file known by name only. */
    public ImageFormatException(String file, String problem) {
        this(file, problem, null);
    }

    /** Same as {@link #ImageFormatException(Path, String, Throwable)} for a file known by name only. */
    public ImageFormatException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file the problem concerns, as given to the reader. */
    public String file() {
        return file;
    }
}
