package dev.medseg.data.prep;

/**
 * A case that cannot become slices (unreadable or inconsistent input). Caught per case by the pipeline and
 * turned into a row of the {@code rejected} table; never stops the job.
 */
public final class CaseRejection extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final String stage;

    /**
     * @param file   the offending file
     * @param reason one sentence saying what is wrong
     * @param stage  the pipeline step that found it: read, check, labels, normalise, resample
     */
    public CaseRejection(String file, String reason, String stage) {
        super(reason);
        this.file = file;
        this.stage = stage;
    }

    /** The offending file. */
    public String file() {
        return file;
    }

    /** The pipeline step that found the problem. */
    public String stage() {
        return stage;
    }
}
