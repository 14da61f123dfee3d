package dev.medseg.job.eval;

import dev.medseg.job.cli.Medseg;
import dev.medseg.job.tables.CaseMetricRecord;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.RunRecord;
import dev.medseg.job.tables.TestSpark;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

class ScoreCommandTest {
    static SparkSession spark;
    static final int N = 10;

    record Run(int exit, String out, String err) {
    }

    static Run medseg(String... args) {
        CommandLine cl = Medseg.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void start() {
        spark = TestSpark.session();
    }

    /**
     * Seven cases on a 10^3 grid with spacing (2, 1, 3) mm: two that score, five with a problem each.
     * a: class 1 is a 4^3 cube against the same cube shifted one voxel along x (hand-computed below), class 2 a
     * single reference voxel the prediction misses, class 3 absent from both. b: identical 2^3 cubes, and a
     * predicted class-2 voxel the reference lacks.
     */
    static void volumes(Path ref, Path pred) throws Exception {
        Files.createDirectories(ref);
        Files.createDirectories(pred);
        int[] ra = Fixtures.zeros(N, N, N);
        Fixtures.box(ra, N, N, 1, 2, 5, 2, 5, 2, 5);
        Fixtures.box(ra, N, N, 2, 8, 8, 8, 8, 8, 8);
        int[] pa = Fixtures.zeros(N, N, N);
        Fixtures.box(pa, N, N, 1, 3, 6, 2, 5, 2, 5);
        Fixtures.nifti(ref.resolve("a.nii.gz"), ra, N, N, N, 2, 1, 3);
        Fixtures.nifti(pred.resolve("a.nii.gz"), pa, N, N, N, 2, 1, 3);
        int[] rb = Fixtures.zeros(N, N, N);
        Fixtures.box(rb, N, N, 1, 1, 2, 1, 2, 1, 2);
        int[] pb = rb.clone();
        Fixtures.box(pb, N, N, 2, 8, 8, 8, 8, 8, 8);
        Fixtures.nifti(ref.resolve("b.nii"), rb, N, N, N, 2, 1, 3);
        Fixtures.nifti(pred.resolve("b.nii.gz"), pb, N, N, N, 2, 1, 3); // .nii against .nii.gz still pairs
        Fixtures.nifti(ref.resolve("c.nii.gz"), rb, N, N, N, 1, 1, 1);             // no prediction
        Fixtures.nifti(ref.resolve("d.nii.gz"), rb, N, N, N, 1, 1, 1);
        Fixtures.nifti(pred.resolve("d.nii.gz"), Fixtures.zeros(N, N, 9), N, N, 9, 1, 1, 1); // shape mismatch
        Fixtures.nifti(ref.resolve("e.nii.gz"), rb, N, N, N, 1, 1, 1);
        int[] pe = rb.clone();
        pe[0] = 7;
        Fixtures.nifti(pred.resolve("e.nii.gz"), pe, N, N, N, 1, 1, 1);             // label outside 1..3
        Fixtures.nifti(ref.resolve("f.nii.gz"), rb, N, N, N, 1, 1, 1);
        Files.writeString(pred.resolve("f.nii.gz"), "not a nifti file");           // unreadable
        Fixtures.nifti(pred.resolve("g.nii.gz"), rb, N, N, N, 1, 1, 1);             // no reference
        Files.writeString(ref.resolve("notes.txt"), "ignored");
    }

    static Map<String, CaseMetricRecord> rows(Path out) {
        return ResultTables.read(spark, ResultTable.CASE_METRICS, List.of(out.toString())).collectAsList().stream()
                .map(CaseMetricRecord::fromRow)
                .collect(Collectors.toMap(r -> r.caseId() + "/" + r.classId(), Function.identity()));
    }

    @Test
    void scoresVolumesAndReportsEachBadCaseWithoutStopping(@TempDir Path tmp) throws Exception {
        Path ref = tmp.resolve("labels");
        Path pred = tmp.resolve("pred");
        volumes(ref, pred);
        Path out = tmp.resolve("out");
        Run r = medseg("score", "--reference", ref.toString(), "--prediction", pred.toString(), "--output",
                out.toString(), "--num-classes", "3", "--class-names", "spleen,kidney,liver", "--dataset", "synapse");
        assertEquals(4, r.exit(), r.err());
        assertTrue(r.out().contains("scored 2 of 7 cases"), r.out());
        assertTrue(r.err().contains("case c: missing prediction for reference"), r.err());

        Map<String, CaseMetricRecord> m = rows(out);
        assertEquals(21, m.size());
        // a/1: |R| = |P| = 64, overlap 3*4*4 = 48: Dice 96/128, IoU 48/80. Surfaces (56 voxels each): the 16 voxels
        // of each outer x face and the 4 of each inner face lie 1 voxel from the other surface, the other 36 on it;
        // pooled 72 zeros and 40 ones -> hd95 = 1 voxel. In mm (x 2 mm, y 1 mm) the outer faces are 2 mm away
        // and the inner faces reach a y face at 1 mm: 72 zeros, 8 ones, 32 twos -> percentile 95 = 2 mm.
        CaseMetricRecord a1 = m.get("a/1");
        assertNull(a1.problem());
        assertEquals("spleen", a1.className());
        assertEquals(0.75, a1.dice(), 1e-12);
        assertEquals(0.6, a1.iou(), 1e-12);
        assertEquals(1.0, a1.hd95Voxel(), 1e-12);
        assertEquals(2.0, a1.hd95Mm(), 1e-12);
        assertEquals(List.of(48L, 16L, 16L, 920L, 64L, 64L), List.of(a1.tp(), a1.fp(), a1.fn(), a1.tn(), a1.predVoxels(), a1.refVoxels()));
        assertEquals(0.75, a1.precision(), 1e-12);
        assertEquals(0.75, a1.recall(), 1e-12);
        assertEquals(0.968, a1.accuracy(), 1e-12);
        assertEquals("transunet:computed", a1.emptyRule());
        // TransUNet's rule: a miss scores (0, 0), a false detection (1, 0), both empty (0, 0)
        assertRule(m.get("a/2"), "transunet:pred_empty", 0, 0);
        assertEquals(1L, m.get("a/2").refVoxels());
        assertRule(m.get("a/3"), "transunet:both_empty", 0, 0);
        assertEquals(1.0, m.get("b/1").dice(), 1e-12);
        assertEquals(0.0, m.get("b/1").hd95Mm(), 1e-12);
        assertRule(m.get("b/2"), "transunet:ref_empty", 1, 0);

        assertProblem(m, "c", "missing prediction for reference " + ref.resolve("c.nii.gz").toAbsolutePath());
        assertProblem(m, "d", "shape mismatch: reference 10x10x10, prediction 10x10x9");
        assertProblem(m, "e", "prediction has label(s) [7] outside the classes [1, 2, 3]");
        assertProblem(m, "f", "unreadable: " + pred.resolve("f.nii.gz").toAbsolutePath());
        assertProblem(m, "g", "no reference for prediction " + pred.resolve("g.nii.gz").toAbsolutePath());
        assertEquals("transunet:not_scored", m.get("d/2").emptyRule());

        assertTrue(r.out().contains("Table 2: 3-D datasets"), r.out());
        assertTrue(Files.readString(out.resolve("summary_table2.csv")).startsWith(
                "run_id,dataset,cases,problem_cases,dice_pct,hd95_voxel,hd95_mm,spleen,kidney,liver\nout,synapse,2,5,"));
        RunRecord run = RunRecord.fromRow(ResultTables.read(spark, ResultTable.RUNS, List.of(out.toString())).first());
        assertEquals("partial", run.status());
        assertEquals("out", run.runId());
        assertTrue(run.config().contains("empty-rule=transunet"), run.config());
    }

    @Test
    void nnUnetRuleGivesNanWhereAMaskIsEmpty(@TempDir Path tmp) throws Exception {
        Path ref = tmp.resolve("ref");
        Path pred = tmp.resolve("pred");
        volumes(ref, pred);
        Path out = tmp.resolve("nn");
        Run r = medseg("score", "--reference", ref.toString(), "--prediction", pred.toString(), "--output",
                out.toString(), "--classes", "1,2,3", "--empty-rule", "nnunet", "--spacing", "voxel");
        assertEquals(4, r.exit(), r.err());
        Map<String, CaseMetricRecord> m = rows(out);
        assertEquals(1.0, m.get("a/1").hd95Mm(), 1e-12); // --spacing voxel: mm column in voxels too
        assertRule(m.get("a/2"), "nnunet:pred_empty", 0, Double.NaN);
        assertRule(m.get("a/3"), "nnunet:both_empty", Double.NaN, Double.NaN);
        assertRule(m.get("b/2"), "nnunet:ref_empty", 0, Double.NaN);
        assertNull(m.get("a/1").className());
    }

    @Test
    void scoresPngMasksInTwoDimensions(@TempDir Path tmp) throws Exception {
        Path ref = Files.createDirectories(tmp.resolve("isic").resolve("gt"));
        Path pred = Files.createDirectories(tmp.resolve("pred"));
        int w = 8;
        int[] square = new int[w * w];
        int[] shifted = new int[w * w];
        for (int y = 2; y <= 5; y++) {
            for (int x = 2; x <= 5; x++) {
                square[y * w + x] = 255;
                shifted[y * w + x + 1] = 255;
            }
        }
        Fixtures.png(ref.resolve("img1.png"), square, w, w);
        Fixtures.png(pred.resolve("img1.png"), shifted, w, w);
        int[] ones = new int[w * w];
        ones[9] = 1;
        ones[10] = 1;
        Fixtures.png(ref.resolve("img2.png"), ones, w, w);
        Fixtures.png(pred.resolve("img2.png"), ones, w, w);     // stored as 0/1: the same mask
        Path out = tmp.resolve("png-out");
        Run r = medseg("score", "--reference", ref.toString(), "--prediction", pred.toString(), "--output",
                out.toString(), "--dataset", "isic2017", "--run-id", "r2d");
        assertEquals(0, r.exit(), r.err());
        Map<String, CaseMetricRecord> m = rows(out);
        // 4x4 squares one pixel apart: overlap 12, Dice 24/32, IoU 12/20; 12 surface pixels each, 6 of them
        // 1 pixel from the other surface -> pooled 12 zeros and 12 ones -> hd95 = 1 (spacing 1 for PNG)
        CaseMetricRecord p1 = m.get("img1/1");
        assertEquals(0.75, p1.dice(), 1e-12);
        assertEquals(0.6, p1.iou(), 1e-12);
        assertEquals(1.0, p1.hd95Voxel(), 1e-12);
        assertEquals(1.0, p1.hd95Mm(), 1e-12);
        assertEquals("r2d", p1.runId());
        assertEquals(1.0, m.get("img2/1").dice(), 1e-12);
        assertEquals(2L, m.get("img2/1").tp());
        assertTrue(r.out().contains("""
                r2d     isic2017  2      0              80.0000  87.5000"""), r.out());
        assertTrue(Files.exists(out.resolve("summary_table1.md")));
    }

    @Test
    void badArgumentsAreUsageErrors(@TempDir Path tmp) throws Exception {
        Path d = Files.createDirectories(tmp.resolve("d"));
        Run missing = medseg("score", "--reference", tmp.resolve("nope").toString(), "--prediction", d.toString(),
                "--output", tmp.resolve("o").toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("--reference " + tmp.resolve("nope") + ": not a directory"), missing.err());
        Run empty = medseg("score", "--reference", d.toString(), "--prediction", d.toString(), "--output", tmp.resolve("o").toString());
        assertEquals(2, empty.exit());
        assertTrue(empty.err().contains("no .nii, .nii.gz or .png file"), empty.err());
        Run rule = medseg("score", "--reference", d.toString(), "--prediction", d.toString(), "--output", "o", "--empty-rule", "monai");
        assertEquals(2, rule.exit());
        assertTrue(rule.err().contains("--empty-rule must be transunet or nnunet, got 'monai'"), rule.err());
        Run both = medseg("score", "--reference", d.toString(), "--prediction", d.toString(), "--output", "o",
                "--classes", "1,2", "--num-classes", "2");
        assertEquals(2, both.exit());
        assertTrue(both.err().contains("mutually exclusive"), both.err());
        Run names = medseg("score", "--reference", d.toString(), "--prediction", d.toString(), "--output", "o",
                "--classes", "1,2", "--class-names", "a");
        assertEquals(2, names.exit());
        assertTrue(names.err().contains("1 class names for 2 classes [1, 2]"), names.err());
    }

    private static void assertRule(CaseMetricRecord r, String rule, double dice, double hd95) {
        assertNull(r.problem(), r.toString());
        assertEquals(rule, r.emptyRule());
        assertEquals(dice, r.dice(), 0.0, r.toString());
        assertEquals(dice, r.iou(), 0.0, r.toString());
        assertEquals(hd95, r.hd95Voxel(), 0.0, r.toString());
        assertEquals(hd95, r.hd95Mm(), 0.0, r.toString());
    }

    private static void assertProblem(Map<String, CaseMetricRecord> m, String caseId, String start) {
        for (int c = 1; c <= 3; c++) {
            CaseMetricRecord r = m.get(caseId + "/" + c);
            assertNotNull(r, caseId + "/" + c);
            assertNotNull(r.problem(), r.toString());
            assertTrue(r.problem().startsWith(start), r.problem());
            assertNull(r.dice());
            assertNull(r.tp());
        }
    }
}
