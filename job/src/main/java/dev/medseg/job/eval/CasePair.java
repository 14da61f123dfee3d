package dev.medseg.job.eval;

import java.io.Serializable;
import java.util.List;

/**
 * The files of one case in the reference and prediction folders, matched by case id (file name without
 * extension). Normally one of each; none or several on either side is a problem reported for the case.
 *
 * @param caseId      the case id
 * @param references  reference files with this id (absolute paths)
 * @param predictions prediction files with this id (absolute paths)
 */
public record CasePair(String caseId, List<String> references, List<String> predictions) implements Serializable {

    /** Copies the lists. */
    public CasePair {
        references = List.copyOf(references);
        predictions = List.copyOf(predictions);
    }
}
