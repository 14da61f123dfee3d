package dev.medseg.job.tables;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.time.Instant;
import java.util.Objects;

/**
 * One row of the {@code runs} table: one run (train, evaluate or score) and how it ended.
 *
 * @param runId       {@code run_id} string, not null: the run's id, unique across runs; every other table
 *                    carries it so runs can be unioned and compared
 * @param model       {@code model} string, nullable: model name, e.g. {@code transunet} or {@code llm-transunet};
 *                    null for {@code score}, which has no model
 * @param dataset     {@code dataset} string, not null: dataset name, e.g. {@code synapse}, {@code isic2017}
 * @param config      {@code config} string, nullable: the resolved HOCON configuration of the run, as text
 * @param codeVersion {@code code_version} string, nullable: medseg version (and git commit when known)
 * @param startedAt   {@code started_at} timestamp, not null: when the run started
 * @param endedAt     {@code ended_at} timestamp, nullable: when it ended; null while running or after a crash
 * @param status      {@code status} string, not null: {@code running}, {@code succeeded}, {@code failed}
 *                    or {@code partial} (finished, some cases had problems)
 */
public record RunRecord(String runId, String model, String dataset, String config, String codeVersion,
                        Instant startedAt, Instant endedAt, String status) implements TableRecord {

    /** The table's schema, with each column's comment. */
    public static final StructType SCHEMA = new StructType(new org.apache.spark.sql.types.StructField[]{
            Columns.field("run_id", DataTypes.StringType, false, "run id, unique across runs"),
            Columns.field("model", DataTypes.StringType, true, "model name, e.g. transunet, llm-transunet; null for score"),
            Columns.field("dataset", DataTypes.StringType, false, "dataset name, e.g. synapse, isic2017"),
            Columns.field("config", DataTypes.StringType, true, "resolved HOCON configuration of the run"),
            Columns.field("code_version", DataTypes.StringType, true, "medseg version (and git commit when known)"),
            Columns.field("started_at", DataTypes.TimestampType, false, "start time"),
            Columns.field("ended_at", DataTypes.TimestampType, true, "end time; null while running or after a crash"),
            Columns.field("status", DataTypes.StringType, false, "running | succeeded | failed | partial"),
    });

    /** Checks the non-null columns. */
    public RunRecord {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(status, "status");
    }

    @Override
    public ResultTable table() {
        return ResultTable.RUNS;
    }

    @Override
    public Row toRow() {
        return RowFactory.create(runId, model, dataset, config, codeVersion, Columns.timestamp(startedAt),
                Columns.timestamp(endedAt), status);
    }

    /** Reads a row of the {@code runs} table (any column order). */
    public static RunRecord fromRow(Row row) {
        return new RunRecord((String) Columns.required(row, "run_id", "runs"), Columns.string(row, "model"),
                (String) Columns.required(row, "dataset", "runs"), Columns.string(row, "config"),
                Columns.string(row, "code_version"), Columns.instant(row, "started_at"),
                Columns.instant(row, "ended_at"), (String) Columns.required(row, "status", "runs"));
    }
}
