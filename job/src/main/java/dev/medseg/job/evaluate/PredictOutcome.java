package dev.medseg.job.evaluate;

import org.apache.spark.sql.Row;

import java.io.Serializable;
import java.util.List;

/**
 * What predicting one case gives back: its {@code predictions} rows (one per slice) and mask file, or why it
 * could not be predicted.
 *
 * @param caseId  the case id
 * @param rows    {@code predictions} rows, in slice order; empty for a problem
 * @param file    the mask file written, or null
 * @param problem null when predicted, else why not
 */
public record PredictOutcome(String caseId, List<Row> rows, String file, String problem) implements Serializable {

    /** Copies the rows. */
    public PredictOutcome {
        rows = List.copyOf(rows);
    }
}
