package dev.medseg.job.evaluate;

import org.apache.spark.sql.Row;

import java.io.Serializable;
import java.util.List;

/**
 * What evaluating one case gives back to the driver: its {@code case_metrics} rows, and what picking overlays
 * needs (the mean Dice over classes and the slice to draw).
 *
 * @param caseId       the case id
 * @param rows         one {@code case_metrics} row per class
 * @param meanDice     mean Dice over the scored classes (NaN values skipped); NaN for a case with a problem
 * @param overlaySlice the slice to draw: most reference foreground, then most predicted, then nearest the middle
 * @param problem      null when scored, else why not
 */
public record CaseOutcome(String caseId, List<Row> rows, double meanDice, int overlaySlice, String problem)
        implements Serializable {

    /** Copies the rows. */
    public CaseOutcome {
        rows = List.copyOf(rows);
    }
}
