package dev.medseg.data.prep;

import java.io.Serializable;

/**
 * A row of the {@code rejected} table.
 *
 * @param dataset dataset name
 * @param caseId  case id, or null for files the layout could not pair into a case
 * @param file    the offending file
 * @param reason  what is wrong
 * @param stage   listing, read, check, labels, normalise or resample
 */
public record RejectedCase(String dataset, String caseId, String file, String reason, String stage) implements Serializable {

    private static final long serialVersionUID = 1L;

    @Override
    public String toString() {
        return (caseId == null ? "" : caseId + " ") + file + " [" + stage + "]: " + reason;
    }
}
