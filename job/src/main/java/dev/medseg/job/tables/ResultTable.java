package dev.medseg.job.tables;

import org.apache.spark.sql.types.StructType;

import java.util.Locale;
import java.util.Set;

/**
 * The result tables of a run. Each is a Parquet directory named {@link #dirName()} directly under the run's
 * output directory, and is registered under that same name as a Spark SQL view by {@code inspect}.
 */
public enum ResultTable {
    /** One row per run: {@link RunRecord}. */
    RUNS("runs", RunRecord.SCHEMA),
    /** One row per parameter-averaging round: {@link TrainRound}. */
    TRAIN_ROUNDS("train_rounds", TrainRound.SCHEMA, TrainRound.ADDED_COLUMNS),
    /** One row per case and class: {@link CaseMetricRecord}. */
    CASE_METRICS("case_metrics", CaseMetricRecord.SCHEMA),
    /** One row per predicted slice: {@link PredictionRecord}. */
    PREDICTIONS("predictions", PredictionRecord.SCHEMA);

    private final String dirName;
    private final StructType schema;
    private final Set<String> addedColumns;

    ResultTable(String dirName, StructType schema) {
        this(dirName, schema, Set.of());
    }

    ResultTable(String dirName, StructType schema, Set<String> addedColumns) {
        this.dirName = dirName;
        this.schema = schema;
        this.addedColumns = addedColumns;
    }

    /** The directory under the run's output and the SQL view name, e.g. {@code case_metrics}. */
    public String dirName() {
        return dirName;
    }

    /** The schema, with a comment on every column. */
    public StructType schema() {
        return schema;
    }

    /**
     * Nullable columns added after the table's first version: a table written before one existed lacks it, and
     * reads give null there.
     */
    public Set<String> addedColumns() {
        return addedColumns;
    }

    /** The table called {@code name} (its directory / view name, case-insensitive). */
    public static ResultTable named(String name) {
        for (ResultTable t : values()) {
            if (t.dirName.equals(name.trim().toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("no result table '" + name + "'; tables: runs, train_rounds, case_metrics, predictions");
    }
}
