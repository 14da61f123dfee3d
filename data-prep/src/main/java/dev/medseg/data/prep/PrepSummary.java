package dev.medseg.data.prep;

import java.util.List;
import java.util.Map;

/**
 * The outcome of a prep run.
 *
 * @param dataset        dataset name as written in the rows
 * @param output         the output root
 * @param casesListed    cases the layout found (written + rejected in the pipeline)
 * @param casesWritten   cases written as slices
 * @param slicesWritten  rows written
 * @param slicesBySplit  rows per split partition value
 * @param rejected       every rejected case or file (layout and pipeline), sorted
 * @param rejectedTable  where the rejected Parquet table is
 * @param manifest       where manifest.json is
 */
public record PrepSummary(String dataset, String output, int casesListed, int casesWritten, long slicesWritten,
                          Map<String, Long> slicesBySplit, List<RejectedCase> rejected, String rejectedTable,
                          String manifest) {

    /** Copies the collections. */
    public PrepSummary {
        slicesBySplit = Map.copyOf(slicesBySplit);
        rejected = List.copyOf(rejected);
    }

    /** Whether any case or file was rejected. */
    public boolean hasRejections() {
        return !rejected.isEmpty();
    }
}
