package dev.medseg.job.tables;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SummariesTest {
    static SparkSession spark;
    static Dataset<Row> metrics;

    static CaseMetricRecord row(String run, String dataset, String caseId, int classId, String name,
                                double dice, double iou, double hd95, double hd95mm) {
        return new CaseMetricRecord(run, dataset, "test", caseId, classId, name, dice, iou, hd95, hd95mm,
                1.0, 1.0, 1.0, 1L, 0L, 0L, 1L, 1L, 1L, "transunet:computed", null);
    }

    @BeforeAll
    static void tables() {
        spark = TestSpark.session();
        List<CaseMetricRecord> rows = new ArrayList<>();
        // 2-D, binary: per-image means IoU (0.5+0.7)/2 = 0.6, Dice (0.8+0.6)/2 = 0.7
        rows.add(row("base", "isic2017", "i1", 1, "lesion", 0.8, 0.5, 3, 3));
        rows.add(row("base", "isic2017", "i2", 1, "lesion", 0.6, 0.7, 5, 5));
        // 3-D, two classes, two cases; one more case with a problem that must not enter the means
        rows.add(row("base", "synapse", "v1", 1, "spleen", 0.9, 0.8, 2, 4));
        rows.add(row("base", "synapse", "v1", 2, "liver", 0.5, 0.3, 4, 8));
        rows.add(row("base", "synapse", "v2", 1, "spleen", 0.7, 0.6, 6, 12));
        // NaN (nnU-Net's both-empty) is skipped: liver's mean Dice is 0.5 over one case
        rows.add(row("base", "synapse", "v2", 2, "liver", Double.NaN, Double.NaN, Double.NaN, Double.NaN));
        rows.add(CaseMetricRecord.problem("base", "synapse", "test", "v3", 1, "spleen",
                dev.medseg.model.metrics.EmptyMaskRule.TRANSUNET, "missing prediction"));
        rows.add(CaseMetricRecord.problem("base", "synapse", "test", "v3", 2, "liver",
                dev.medseg.model.metrics.EmptyMaskRule.TRANSUNET, "missing prediction"));
        // a second run on the same 3-D dataset
        rows.add(row("llm", "synapse", "v1", 1, "spleen", 1.0, 1.0, 0, 0));
        rows.add(row("llm", "synapse", "v1", 2, "liver", 0.6, 0.5, 10, 20));
        metrics = ResultTables.toDataset(spark, ResultTable.CASE_METRICS, rows);
    }

    @Test
    void table1HasMeanIouAndDicePerTwoDimensionalDataset() {
        List<Row> t1 = Summaries.table1(metrics).collectAsList();
        assertEquals(1, t1.size());
        Row r = t1.get(0);
        assertEquals("base", r.getAs("run_id"));
        assertEquals("isic2017", r.getAs("dataset"));
        assertEquals(2L, (long) r.getAs("cases"));
        assertEquals(0L, (long) r.getAs("problem_cases"));
        assertEquals(60.0, r.<Double>getAs("iou_pct"), 1e-9);
        assertEquals(70.0, r.<Double>getAs("dice_pct"), 1e-9);
    }

    @Test
    void table2AveragesClassMeansAndListsDicePerClass() {
        Dataset<Row> t2 = Summaries.table2(metrics);
        assertEquals(List.of("run_id", "dataset", "cases", "problem_cases", "dice_pct", "hd95_voxel", "hd95_mm",
                "spleen", "liver"), List.of(t2.columns()));
        List<Row> rows = t2.collectAsList();
        assertEquals(2, rows.size());
        Row base = rows.get(0);
        assertEquals("base", base.getAs("run_id"));
        assertEquals(2L, (long) base.getAs("cases"));
        assertEquals(1L, (long) base.getAs("problem_cases"));
        // spleen (0.9+0.7)/2 = 0.8, liver 0.5 (NaN skipped): mean 0.65; hd95 spleen 4, liver 4 -> 4; mm 8 and 8 -> 8
        assertEquals(65.0, base.<Double>getAs("dice_pct"), 1e-9);
        assertEquals(4.0, base.<Double>getAs("hd95_voxel"), 1e-9);
        assertEquals(8.0, base.<Double>getAs("hd95_mm"), 1e-9);
        assertEquals(80.0, base.<Double>getAs("spleen"), 1e-9);
        assertEquals(50.0, base.<Double>getAs("liver"), 1e-9);
        Row llm = rows.get(1);
        assertEquals("llm", llm.getAs("run_id"));
        assertEquals(80.0, llm.<Double>getAs("dice_pct"), 1e-9);
        assertEquals(5.0, llm.<Double>getAs("hd95_voxel"), 1e-9);
        assertEquals(60.0, llm.<Double>getAs("liver"), 1e-9);
    }

    @Test
    void summariesArePrintedAlignedAndWrittenAsCsvAndMarkdown(@TempDir Path dir) throws Exception {
        var summaries = Summaries.compute(metrics);
        assertEquals(List.of(Summaries.TABLE1, Summaries.TABLE2), summaries.stream().map(Summaries.Summary::name).toList());
        StringWriter text = new StringWriter();
        Summaries.print(summaries, new PrintWriter(text));
        assertTrue(text.toString().contains("""
                Table 1: 2-D datasets, mean IoU and Dice (%)
                run_id  dataset   cases  problem_cases  iou_pct  dice_pct
                ---------------------------------------------------------
                base    isic2017  2      0              60.0000  70.0000
                """), text.toString());
        Summaries.write(spark, summaries, dir.toString());
        assertEquals("""
                run_id,dataset,cases,problem_cases,iou_pct,dice_pct
                base,isic2017,2,0,60.0,70.0
                """, Files.readString(dir.resolve("summary_table1.csv")));
        String md = Files.readString(dir.resolve("summary_table2.md"));
        assertTrue(md.startsWith("### Table 2: 3-D datasets"), md);
        assertTrue(md.contains("| base | synapse | 2 | 1 | 65.0000 | 4.0000 | 8.0000 | 80.0000 | 50.0000 |"), md);
        assertTrue(md.contains("| llm | synapse | 1 | 0 | 80.0000 | 5.0000 | 10.0000 | 100.0000 | 60.0000 |"), md);
    }
}
