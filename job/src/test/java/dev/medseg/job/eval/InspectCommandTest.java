package dev.medseg.job.eval;

import dev.medseg.job.tables.CaseMetricRecord;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.RunRecord;
import dev.medseg.job.tables.TestSpark;
import dev.medseg.job.tables.TrainRound;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static dev.medseg.job.eval.ScoreCommandTest.medseg;
import static org.junit.jupiter.api.Assertions.*;

class InspectCommandTest {
    @TempDir
    static Path tmp;
    static String base;
    static String llm;

    static CaseMetricRecord row(String run, String caseId, int classId, String name, double dice) {
        return new CaseMetricRecord(run, "acdc", "test", caseId, classId, name, dice, dice / 2, 1.0, 2.0,
                1.0, 1.0, 1.0, 1L, 0L, 0L, 1L, 1L, 1L, "transunet:computed", null);
    }

    @BeforeAll
    static void twoRuns() {
        SparkSession spark = TestSpark.session();
        base = tmp.resolve("base").toString();
        llm = tmp.resolve("llm").toString();
        Instant t = Instant.parse("2024-01-01T00:00:00Z");
        ResultTables.append(spark, base, ResultTable.RUNS, List.of(
                new RunRecord("base", "transunet", "acdc", null, "0.1", t, t.plusSeconds(60), "succeeded")));
        ResultTables.append(spark, llm, ResultTable.RUNS, List.of(
                new RunRecord("llm", "llm-transunet", "acdc", null, "0.1", t, null, "running")));
        ResultTables.append(spark, base, ResultTable.CASE_METRICS, List.of(
                row("base", "p1", 1, "rv", 0.8), row("base", "p1", 2, "myo", 0.6),
                row("base", "p2", 1, "rv", 0.6), row("base", "p2", 2, "myo", 0.7)));
        ResultTables.append(spark, llm, ResultTable.CASE_METRICS, List.of(
                row("llm", "p1", 1, "rv", 0.9), row("llm", "p1", 2, "myo", 0.7),
                row("llm", "p2", 1, "rv", 0.8), row("llm", "p2", 2, "myo", 0.6)));
        // only the LLM run has training rounds: the view holds what exists
        ResultTables.append(spark, llm, ResultTable.TRAIN_ROUNDS, List.of(new TrainRound("llm", 0, 0, 5, 1.5, 0.01, 10, 1, 1, 2, 0.5)));
    }

    @Test
    void sqlComparesRunsPerClassAcrossRunDirectories() {
        var r = medseg("inspect", "--run", base, "--run", llm, "--format", "csv", "--sql", """
                SELECT b.class_name, round(avg(b.dice), 4) AS baseline, round(avg(l.dice), 4) AS llm
                FROM case_metrics b JOIN case_metrics l
                  ON b.case_id = l.case_id AND b.class_id = l.class_id AND b.run_id = 'base' AND l.run_id = 'llm'
                GROUP BY b.class_id, b.class_name ORDER BY b.class_id""");
        assertEquals(0, r.exit(), r.err());
        assertEquals("class_name,baseline,llm\nrv,0.7,0.85\nmyo,0.65,0.65\n", r.out());
    }

    @Test
    void theOriginalContractFormTakesTheQueryAfterTheRuns() {
        var r = medseg("inspect", "--format", "csv", "--runs", base, llm,
                "SELECT run_id, count(*) AS n FROM case_metrics GROUP BY run_id ORDER BY run_id");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("run_id,n\nbase,"), r.out());
        assertTrue(r.out().contains("\nllm,"), r.out());
    }

    @Test
    void tableOptionPrintsAViewAndAlignedTextIsTheDefault() {
        var r = medseg("inspect", "--run", base, "--run", llm, "--sql",
                "SELECT r.run_id, r.status, count(t.round) AS rounds FROM runs r LEFT JOIN train_rounds t USING (run_id) "
                        + "GROUP BY r.run_id, r.status ORDER BY r.run_id");
        assertEquals(0, r.exit(), r.err());
        assertEquals("""
                run_id  status     rounds
                -------------------------
                base    succeeded  0
                llm     running    1
                """, r.out());
        var t = medseg("inspect", "--runs", llm, "--table", "train_rounds", "--format", "json");
        assertEquals(0, t.exit(), t.err());
        assertEquals("{\"run_id\":\"llm\",\"round\":0,\"epoch\":0,\"iteration\":5,\"loss\":1.5,\"learning_rate\":0.01,"
                + "\"images_per_second\":10.0,\"compute_seconds\":1.0,\"communication_seconds\":1.0,\"workers\":2,"
                + "\"state_fetch_seconds\":0.5}\n", t.out());
    }

    @Test
    void withoutAQueryItPrintsTheSummaryTables() {
        var r = medseg("inspect", "--run", base, "--run", llm);
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("Table 2: 3-D datasets"), r.out());
        // base: rv 0.7, myo 0.65 -> 67.5; llm: rv 0.85, myo 0.65 -> 75
        assertTrue(r.out().contains("base    acdc     2      0              67.5000   1.0000      2.0000   70.0000  65.0000"), r.out());
        assertTrue(r.out().contains("llm     acdc     2      0              75.0000   1.0000      2.0000   85.0000  65.0000"), r.out());
    }

    @Test
    void badQueriesAndFoldersAreUsageErrors() throws Exception {
        var sql = medseg("inspect", "--run", base, "--sql", "SELECT nope FROM case_metrics");
        assertEquals(2, sql.exit());
        assertTrue(sql.err().contains("query failed:"), sql.err());
        assertTrue(sql.err().contains("nope"), sql.err());
        var dir = medseg("inspect", "--run", tmp.resolve("missing").toString());
        assertEquals(2, dir.exit());
        assertTrue(dir.err().contains("not a directory"), dir.err());
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        var none = medseg("inspect", "--run", empty.toString(), "--table", "runs");
        assertEquals(2, none.exit());
        assertTrue(none.err().contains("no result table (runs, train_rounds, case_metrics, predictions) under"), none.err());
        var table = medseg("inspect", "--run", base, "--table", "cases");
        assertEquals(2, table.exit());
        assertTrue(table.err().contains("--table: no result table 'cases'"), table.err());
    }
}
