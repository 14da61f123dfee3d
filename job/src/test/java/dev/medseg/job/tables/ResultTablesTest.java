package dev.medseg.job.tables;

import dev.medseg.model.metrics.EmptyMaskRule;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ResultTablesTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = TestSpark.session();
    }

    @Test
    void everyTableRoundTripsThroughParquetAndSql(@TempDir Path tmp) {
        String run = tmp.resolve("run1").toString();
        RunRecord runRow = new RunRecord("r1", "llm-transunet", "synapse", "seed = 1\n", "0.1.0",
                Instant.parse("2024-05-01T10:00:00Z"), null, "running");
        TrainRound t0 = new TrainRound("r1", 0, 0, 10, 0.9, 0.01, 12.5, 3.0, 0.5, 2);
        TrainRound t1 = new TrainRound("r1", 1, 0, 20, 0.7, 0.009, 13.5, 2.9, 0.4, 2, 0.25);
        CaseMetricRecord scored = new CaseMetricRecord("r1", "synapse", "test", "case0001", 1, "spleen",
                0.75, 0.6, 1.0, 2.0, 0.75, 0.75, 0.99, 48L, 16L, 16L, 920L, 64L, 64L, "transunet:computed", null);
        CaseMetricRecord problem = CaseMetricRecord.problem("r1", "synapse", "test", "case0002", 1, "spleen",
                EmptyMaskRule.NNUNET, "missing prediction");
        byte[] ids = new byte[6 * 4];
        ids[5] = 2;
        ids[23] = (byte) 255;
        PredictionRecord pred = PredictionRecord.of("r1", "synapse", "case0001", 3, 6, 4, ids, null);

        ResultTables.append(spark, run, ResultTable.RUNS, List.of(runRow));
        ResultTables.append(spark, run, ResultTable.TRAIN_ROUNDS, List.of(t0));
        ResultTables.append(spark, run, ResultTable.TRAIN_ROUNDS, List.of(t1)); // a second batch adds to the first
        ResultTables.append(spark, run, ResultTable.CASE_METRICS, List.of(scored, problem));
        ResultTables.append(spark, run, ResultTable.PREDICTIONS, List.of(pred));

        assertEquals(runRow, RunRecord.fromRow(ResultTables.read(spark, ResultTable.RUNS, List.of(run)).first()));
        List<TrainRound> rounds = ResultTables.read(spark, ResultTable.TRAIN_ROUNDS, List.of(run)).orderBy("round")
                .collectAsList().stream().map(TrainRound::fromRow).toList();
        assertEquals(List.of(t0, t1), rounds);
        List<CaseMetricRecord> metrics = ResultTables.read(spark, ResultTable.CASE_METRICS, List.of(run))
                .orderBy("case_id").collectAsList().stream().map(CaseMetricRecord::fromRow).toList();
        assertEquals(List.of(scored, problem), metrics);
        assertEquals("nnunet:not_scored", metrics.get(1).emptyRule());
        assertNull(metrics.get(1).dice());
        PredictionRecord back = PredictionRecord.fromRow(ResultTables.read(spark, ResultTable.PREDICTIONS, List.of(run)).first());
        assertArrayEquals(ids, back.ids());
        assertEquals(3, back.sliceIndex());

        Map<ResultTable, List<String>> views = ResultTables.registerViews(spark, List.of(run));
        assertEquals(List.of(ResultTable.values()), List.copyOf(views.keySet()));
        Row q = spark.sql("SELECT r.model, count(*) AS n, max(t.iteration) AS it, avg(t.loss) AS loss "
                + "FROM runs r JOIN train_rounds t USING (run_id) GROUP BY r.model").first();
        assertEquals("llm-transunet", q.getString(0));
        assertEquals(2L, q.getLong(1));
        assertEquals(20L, q.getLong(2));
        assertEquals(0.8, q.getDouble(3), 1e-12);
        Row c = spark.sql("SELECT count(*), sum(tp) FROM case_metrics WHERE problem IS NULL").first();
        assertEquals(1L, c.getLong(0));
        assertEquals(48L, c.getLong(1));
    }

    @Test
    void schemasCarryAColumnCommentOnEveryColumn() {
        for (ResultTable t : ResultTable.values()) {
            for (StructField f : t.schema().fields()) {
                assertTrue(f.getComment().isDefined() && !f.getComment().get().isBlank(), t + "." + f.name());
            }
        }
        assertEquals(List.of("run_id", "dataset", "split", "case_id", "class_id", "class_name", "dice", "iou",
                "hd95_voxel", "hd95_mm", "precision", "recall", "accuracy", "tp", "fp", "fn", "tn", "pred_voxels",
                "ref_voxels", "empty_rule", "problem"), Arrays.asList(ResultTable.CASE_METRICS.schema().fieldNames()));
        assertSame(ResultTable.TRAIN_ROUNDS, ResultTable.named(" Train_Rounds"));
        assertThrows(IllegalArgumentException.class, () -> ResultTable.named("cases"));
    }

    @Test
    void aDirectoryWithoutTheTablesColumnsIsRefusedByName(@TempDir Path tmp) {
        String run = tmp.resolve("run").toString();
        spark.sql("SELECT 'x' AS run_id, 1 AS round").write().parquet(ResultTables.dir(run, ResultTable.TRAIN_ROUNDS));
        var e = assertThrows(ResultTableException.class, () -> ResultTables.read(spark, ResultTable.TRAIN_ROUNDS, List.of(run)));
        assertTrue(e.getMessage().contains("not a train_rounds table, missing columns [epoch, iteration, loss"), e.getMessage());
        assertFalse(ResultTables.exists(spark, run, ResultTable.RUNS));
    }

    @Test
    void aRunWrittenBeforeAColumnWasAddedReadsWithNullThereAndTakesNewRows(@TempDir Path tmp) {
        String run = tmp.resolve("old-run").toString();
        TrainRound old = new TrainRound("r", 0, 0, 5, 1.0, 0.01, 2.0, 9.0, 1.0, 2, 0.5);
        ResultTables.toDataset(spark, ResultTable.TRAIN_ROUNDS, List.of(old)).drop("state_fetch_seconds")
                .write().parquet(ResultTables.dir(run, ResultTable.TRAIN_ROUNDS)); // as an older version wrote it
        TrainRound resumed = new TrainRound("r", 1, 0, 10, 0.8, 0.01, 2.0, 9.0, 1.2, 2, 0.4);
        ResultTables.append(spark, run, ResultTable.TRAIN_ROUNDS, List.of(resumed));

        List<TrainRound> rounds = ResultTables.read(spark, ResultTable.TRAIN_ROUNDS, List.of(run)).orderBy("round")
                .collectAsList().stream().map(TrainRound::fromRow).toList();
        assertEquals(List.of(new TrainRound("r", 0, 0, 5, 1.0, 0.01, 2.0, 9.0, 1.0, 2), resumed), rounds);
        assertTrue(Double.isNaN(rounds.get(0).stateFetchSeconds()));
        ResultTables.registerViews(spark, List.of(run));
        Row q = spark.sql("SELECT count(state_fetch_seconds), max(state_fetch_seconds) FROM train_rounds").first();
        assertEquals(1L, q.getLong(0));
        assertEquals(0.4, q.getDouble(1));
    }

    @Test
    void aRecordOfAnotherTableIsRefused(@TempDir Path tmp) {
        TrainRound t = new TrainRound("r", 0, 0, 1, 1, 1, 1, 1, 1, 1);
        var e = assertThrows(IllegalArgumentException.class,
                () -> ResultTables.append(spark, tmp.toString(), ResultTable.RUNS, List.of(t)));
        assertEquals("a train_rounds record cannot go to runs", e.getMessage());
    }

    @Test
    void aCorruptOrWrongSizedMaskIsAClearError() {
        byte[] ids = new byte[12];
        PredictionRecord good = PredictionRecord.of("r", "d", "c", 0, 3, 4, ids, null);
        PredictionRecord tooSmall = new PredictionRecord("r", "d", "c", 0, 4, 4, good.mask(), null);
        var e1 = assertThrows(ResultTableException.class, tooSmall::ids);
        assertTrue(e1.getMessage().contains("does not inflate to 4x4 bytes (got 12"), e1.getMessage());
        PredictionRecord tooBig = new PredictionRecord("r", "d", "c", 0, 2, 4, good.mask(), null);
        var e2 = assertThrows(ResultTableException.class, tooBig::ids);
        assertTrue(e2.getMessage().contains("does not inflate to 2x4 bytes (got 8+"), e2.getMessage());
        PredictionRecord garbage = new PredictionRecord("r", "d", "c", 0, 3, 4, new byte[]{1, 2, 3, 4}, null);
        var e3 = assertThrows(ResultTableException.class, garbage::ids);
        assertTrue(e3.getMessage().contains("is not a zlib stream"), e3.getMessage());
        byte[] cut = Arrays.copyOf(good.mask(), good.mask().length - 3);
        var e4 = assertThrows(ResultTableException.class, () -> new PredictionRecord("r", "d", "c", 0, 3, 4, cut, null).ids());
        assertTrue(e4.getMessage().startsWith("predictions: mask of case c slice 0"), e4.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PredictionRecord.of("r", "d", "c", 0, 3, 3, ids, null));
    }
}
