package dev.medseg.job.tables;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Objects;

/**
 * One row of the {@code train_rounds} table: one parameter-averaging round of a training run.
 *
 * @param runId                {@code run_id} string, not null: the run (see {@code runs})
 * @param round                {@code round} int, not null: averaging round, 0-based, increasing within a run
 * @param epoch                {@code epoch} int, not null: epoch the round belongs to, 0-based
 * @param iteration            {@code iteration} long, not null: optimizer steps done by each worker after this
 *                             round (the learning-rate schedule's iteration)
 * @param loss                 {@code loss} double, not null: mean training loss over the round's minibatches of
 *                             all workers (NaN if it diverged)
 * @param learningRate         {@code learning_rate} double, not null: learning rate used in this round
 * @param imagesPerSecond      {@code images_per_second} double, not null: training images processed per
 *                             second of wall time in this round, all workers together
 * @param computeSeconds       {@code compute_seconds} double, not null: wall seconds spent in worker tasks
 *                             (forward, backward, update), the slowest worker
 * @param communicationSeconds {@code communication_seconds} double, not null: wall seconds outside compute:
 *                             broadcast, scheduling and tree aggregation of the parameters
 * @param workers              {@code workers} int, not null: number of workers (partitions) averaged this round
 * @param stateFetchSeconds    {@code state_fetch_seconds} double, nullable: the longest any worker waited for the
 *                             round's start state before its steps: the broadcast's fetch, or with
 *                             train.exchange = peers the other workers' states and their mean (outside compute_seconds: when that worker
 *                             is also the slowest, the fetch is part of communication_seconds); NaN here and null
 *                             in the table when unknown (runs written before the column existed)
 */
public record TrainRound(String runId, int round, int epoch, long iteration, double loss, double learningRate,
                         double imagesPerSecond, double computeSeconds, double communicationSeconds,
                         int workers, double stateFetchSeconds) implements TableRecord {

    /** The table's schema, with each column's comment. */
    public static final StructType SCHEMA = new StructType(new StructField[]{
            Columns.field("run_id", DataTypes.StringType, false, "run id (see runs)"),
            Columns.field("round", DataTypes.IntegerType, false, "parameter-averaging round, 0-based"),
            Columns.field("epoch", DataTypes.IntegerType, false, "epoch of the round, 0-based"),
            Columns.field("iteration", DataTypes.LongType, false, "optimizer steps per worker after this round"),
            Columns.field("loss", DataTypes.DoubleType, false, "mean training loss over the round, all workers"),
            Columns.field("learning_rate", DataTypes.DoubleType, false, "learning rate used in the round"),
            Columns.field("images_per_second", DataTypes.DoubleType, false, "training images per wall second, all workers"),
            Columns.field("compute_seconds", DataTypes.DoubleType, false, "seconds in worker tasks (slowest worker)"),
            Columns.field("communication_seconds", DataTypes.DoubleType, false,
                    "seconds outside compute: broadcast, scheduling, aggregation"),
            Columns.field("workers", DataTypes.IntegerType, false, "workers averaged in the round"),
            Columns.field("state_fetch_seconds", DataTypes.DoubleType, true,
                    "longest wait of a worker for the round's start state (the broadcast, or its peers' states and their mean), "
                            + "before its steps (not in compute_seconds)"),
    });

    /** Columns added after the table's first version (null in runs written before them). */
    public static final java.util.Set<String> ADDED_COLUMNS = java.util.Set.of("state_fetch_seconds");

    /** A round whose state fetch time is not known. */
    public TrainRound(String runId, int round, int epoch, long iteration, double loss, double learningRate,
                      double imagesPerSecond, double computeSeconds, double communicationSeconds, int workers) {
        this(runId, round, epoch, iteration, loss, learningRate, imagesPerSecond, computeSeconds, communicationSeconds,
                workers, Double.NaN);
    }

    /** Checks the run id and that counts are not negative. */
    public TrainRound {
        Objects.requireNonNull(runId, "runId");
        if (round < 0 || epoch < 0 || iteration < 0 || workers < 1) {
            throw new IllegalArgumentException("round, epoch, iteration must be >= 0 and workers >= 1: round=" + round
                    + " epoch=" + epoch + " iteration=" + iteration + " workers=" + workers);
        }
    }

    @Override
    public ResultTable table() {
        return ResultTable.TRAIN_ROUNDS;
    }

    @Override
    public Row toRow() {
        return RowFactory.create(runId, round, epoch, iteration, loss, learningRate, imagesPerSecond,
                computeSeconds, communicationSeconds, workers, Double.isNaN(stateFetchSeconds) ? null : stateFetchSeconds);
    }

    /** Reads a row of the {@code train_rounds} table (any column order). */
    public static TrainRound fromRow(Row row) {
        String t = "train_rounds";
        return new TrainRound((String) Columns.required(row, "run_id", t),
                (Integer) Columns.required(row, "round", t), (Integer) Columns.required(row, "epoch", t),
                (Long) Columns.required(row, "iteration", t), (Double) Columns.required(row, "loss", t),
                (Double) Columns.required(row, "learning_rate", t),
                (Double) Columns.required(row, "images_per_second", t),
                (Double) Columns.required(row, "compute_seconds", t),
                (Double) Columns.required(row, "communication_seconds", t),
                (Integer) Columns.required(row, "workers", t), fetchSeconds(row));
    }

    /** The state fetch seconds of a row: NaN when null or when the row has no such column (an older run). */
    private static double fetchSeconds(Row row) {
        if (!java.util.Arrays.asList(row.schema().fieldNames()).contains("state_fetch_seconds")) return Double.NaN;
        Double d = Columns.nullableDouble(row, "state_fetch_seconds");
        return d == null ? Double.NaN : d;
    }
}
