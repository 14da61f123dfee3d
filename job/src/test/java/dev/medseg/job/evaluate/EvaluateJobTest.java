package dev.medseg.job.evaluate;

import com.typesafe.config.Config;
import dev.medseg.data.io.LabelVolume;
import dev.medseg.data.io.NiftiReader;
import dev.medseg.job.cli.Medseg;
import dev.medseg.job.config.ConfigLoader;
import dev.medseg.job.tables.CaseMetricRecord;
import dev.medseg.job.tables.PredictionRecord;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.TestSpark;
import dev.medseg.job.tables.TrainRound;
import dev.medseg.job.train.RunSpec;
import dev.medseg.job.train.Validation;
import dev.medseg.model.ModelConfig;
import dev.medseg.model.TransUNet;
import dev.medseg.model.metrics.CaseMetrics;
import dev.medseg.model.metrics.CaseScorer;
import dev.medseg.model.metrics.EmptyMaskRule;
import dev.medseg.model.metrics.Grid;
import dev.medseg.model.metrics.Spacing;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.train.ModelCheckpoint;
import dev.medseg.model.train.ParamLayout;
import dev.medseg.model.train.SegmentationTrainer;
import dev.medseg.model.train.TrainState;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code evaluate} and {@code predict} end to end on a tiny 4-class model trained for a few steps, against
 * expectations computed here independently: the same checkpoint run through an eval graph built in the test,
 * an argmax and a nearest resize written here, scored with CaseScorer.
 */
class EvaluateJobTest {
    static final int SIZE = 32;
    static final int NH = 40;
    static final int NW = 48;
    static final double[] SPACING = {1.5, 1.25, 5.0};
    static final List<String> TINY = List.of("model.imageSize=32", "model.numClasses=4", "model.inChannels=1",
            "model.vit.hidden=16", "model.vit.layers=1", "model.vit.heads=2", "model.vit.mlpDim=32",
            "model.vit.dropout=0.1", "model.resnet.width=32", "model.resnet.units=[1,1,1]",
            "model.decoder.channels=[8,8,8,8]", "model.llm.enabled=false", "train.loss=ce-dice",
            "train.optimizer.name=adam", "train.optimizer.lr=0.01", "train.dataset=acdc");

    record Run(int exit, String out, String err) {
    }

    static SparkSession spark;
    static Path data;
    static Path runDir;
    static Config config;
    static TrainState weights;
    static Map<String, EvalShards.NativeCase> cases = new HashMap<>();
    @TempDir
    static Path dir;

    @BeforeAll
    static void setUp() throws Exception {
        spark = TestSpark.session();
        data = dir.resolve("prep");
        List<Row> rows = new ArrayList<>();
        for (String id : List.of("a", "b", "c", "d", "e")) {
            int depth = id.equals("b") ? 3 : 4;
            cases.put(id, EvalShards.phantom(id, depth, NH, NW, SPACING, id.hashCode(), id + ".nii.gz"));
        }
        rows.addAll(EvalShards.rows("acdc", "test", cases.get("a"), SIZE));
        rows.addAll(EvalShards.rows("acdc", "test", cases.get("b"), SIZE));
        // c: slice 2 of 4 is missing
        EvalShards.rows("acdc", "test", cases.get("c"), SIZE).stream().filter(r -> r.getInt(3) != 2).forEach(rows::add);
        // d: a label id the 4-class model does not have
        EvalShards.NativeCase d = cases.get("d");
        for (int z = 0; z < 4; z++) {
            byte[] l = d.labelSlice(z);
            if (z == 1) {
                l[5] = 7;
            }
            rows.add(EvalShards.row("acdc", "test", d, z, 4, SIZE, l));
        }
        // e: slice 3 has no native label
        EvalShards.NativeCase e = cases.get("e");
        for (int z = 0; z < 4; z++) {
            rows.add(EvalShards.row("acdc", "test", e, z, 4, SIZE, z == 3 ? null : e.labelSlice(z)));
        }
        // a 2-D dataset with one image at a native size of 30x45
        EvalShards.NativeCase flat = EvalShards.phantom("img1", 1, 30, 45, new double[]{1, 1, 1}, 9, "img1.png");
        cases.put("img1", flat);
        rows.addAll(EvalShards.rows("flat", "test", flat, SIZE));
        EvalShards.write(spark, data, rows);

        // fixed weights: the model's seeded initialisation, taken from an eval graph built here
        config = ConfigLoader.load(Optional.empty(), TINY);
        Graph g = graph(null);
        ParamLayout params = ParamLayout.of(g.trainable());
        ParamLayout buffers = ParamLayout.of(g.buffers());
        weights = new TrainState(0, flat(g, params), new float[0][], flat(g, buffers));
        runDir = dir.resolve("run-a");
        Files.createDirectories(runDir.resolve("checkpoints"));
        Files.writeString(runDir.resolve("resolved.conf"), ConfigLoader.render(config));
        ModelCheckpoint.write(runDir.resolve("checkpoints/best.safetensors"), params, buffers, weights, Map.of());
        ModelCheckpoint.write(runDir.resolve("checkpoints/final.safetensors"), params, buffers,
                new TrainState(3, weights.params(), new float[0][], weights.buffers()), Map.of());
        ResultTables.append(spark, runDir.toString(), ResultTable.TRAIN_ROUNDS, List.of(
                new TrainRound("run-a", 0, 0, 6, 1.2, 0.01, 10, 1, 0.1, 1),
                new TrainRound("run-a", 1, 0, 12, 0.9, 0.005, 10, 1, 0.1, 1)));
    }

    static Run medseg(String... args) {
        CommandLine cl = Medseg.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    /** The expected native prediction of a case: an eval graph built here, own argmax, own nearest resize. */
    static byte[] expectedPrediction(EvalShards.NativeCase c, TrainState state) {
        Graph g = graph(state);
        int n = c.depth();
        int plane = SIZE * SIZE;
        float[] x = new float[n * plane];
        for (int z = 0; z < n; z++) {
            System.arraycopy(c.modelImage(z, SIZE), 0, x, z * plane, plane);
        }
        INDArray logits = g.sd().output(Map.of(TransUNet.INPUT, Nd4j.create(x, new long[]{n, 1, SIZE, SIZE}, 'c')),
                TransUNet.LOGITS).get(TransUNet.LOGITS);
        byte[] out = new byte[n * c.height() * c.width()];
        for (int z = 0; z < n; z++) {
            for (int i = 0; i < c.height(); i++) {
                // scipy zoom order 0: input index round-half-up of i * (in - 1) / (out - 1)
                int sy = (int) Math.floor(i * (SIZE - 1.0) / (c.height() - 1) + 0.5);
                for (int j = 0; j < c.width(); j++) {
                    int sx = (int) Math.floor(j * (SIZE - 1.0) / (c.width() - 1) + 0.5);
                    int best = 0;
                    for (int k = 1; k < 4; k++) {
                        if (logits.getFloat(z, k, sy, sx) > logits.getFloat(z, best, sy, sx)) {
                            best = k;
                        }
                    }
                    out[(z * c.height() + i) * c.width() + j] = (byte) best;
                }
            }
        }
        return out;
    }

    static Graph testGraph;

    /** One eval graph for the test's expectations (building one costs seconds), loaded with {@code state}. */
    static synchronized Graph graph(TrainState state) {
        if (testGraph == null) {
            ModelConfig m = RunSpec.of(config).model();
            testGraph = new Graph(Graph.Mode.EVAL, 0, 1, DataType.FLOAT, null);
            TransUNet.build(testGraph, m);
        }
        if (state == null) {
            return testGraph;
        }
        Validation.load(testGraph, state, ParamLayout.of(testGraph.trainable()), ParamLayout.of(testGraph.buffers()));
        return testGraph;
    }

    /** The graph's variables laid out flat by {@code layout}. */
    static float[] flat(Graph g, ParamLayout layout) {
        float[] out = new float[layout.length()];
        for (ParamLayout.Entry e : layout.entries()) {
            float[] v = g.sd().getArrForVarName(e.name()).dup('c').reshape(e.length()).toFloatVector();
            System.arraycopy(v, 0, out, (int) e.offset(), v.length);
        }
        return out;
    }

    static List<CaseMetricRecord> expectedRows(String caseId) {
        EvalShards.NativeCase c = cases.get(caseId);
        byte[] pred = expectedPrediction(c, weights);
        Grid grid = new Grid(c.width(), c.height(), c.depth());
        CaseMetrics m = CaseScorer.score(caseId, dev.medseg.model.metrics.LabelVolume.ofBytes(grid, pred),
                dev.medseg.model.metrics.LabelVolume.ofBytes(grid, c.labels()), 3,
                new Spacing(SPACING[1], SPACING[0], SPACING[2]), EmptyMaskRule.TRANSUNET);
        List<String> names = List.of("RV", "Myo", "LV");
        List<CaseMetricRecord> out = new ArrayList<>();
        for (int k = 1; k <= 3; k++) {
            out.add(CaseMetricRecord.scored("run-a", "acdc", "test", caseId, names.get(k - 1), m.classScore(k)));
        }
        return out;
    }

    @Test
    void evaluateScoresEachCaseAtNativeResolutionAndReportsProblems() throws Exception {
        Run r = medseg("evaluate", "--run", runDir.toString(), "--data", data.toString(), "--overlays", "2");
        assertEquals(4, r.exit(), r.err());
        List<CaseMetricRecord> rows = ResultTables.read(spark, ResultTable.CASE_METRICS, List.of(runDir.toString()))
                .collectAsList().stream().map(CaseMetricRecord::fromRow).toList();
        assertEquals(15, rows.size()); // 5 cases x 3 classes
        for (String id : List.of("a", "b")) {
            List<CaseMetricRecord> got = rows.stream().filter(x -> x.caseId().equals(id))
                    .sorted(java.util.Comparator.comparingInt(CaseMetricRecord::classId)).toList();
            assertEquals(expectedRows(id), got, "case " + id);
        }
        // the comparison is not vacuous: classes both predicted and missed, overlaps strictly between 0 and 1
        Set<String> branches = rows.stream().filter(x -> x.problem() == null).map(CaseMetricRecord::emptyRule)
                .collect(Collectors.toSet());
        assertTrue(branches.containsAll(Set.of("transunet:computed", "transunet:pred_empty")), branches.toString());
        assertTrue(rows.stream().anyMatch(x -> x.dice() != null && x.dice() > 0 && x.dice() < 1), rows.toString());
        assertTrue(r.out().contains("with best.safetensors (step 0)"), r.out()); // best is the default
        assertTrue(rows.stream().anyMatch(x -> x.hd95Mm() != null && x.hd95Voxel() != null
                && x.hd95Mm() > 0 && !x.hd95Mm().equals(x.hd95Voxel())), "anisotropic spacing changes hd95 in mm");

        Map<String, String> problems = rows.stream().filter(x -> x.problem() != null)
                .collect(Collectors.toMap(CaseMetricRecord::caseId, CaseMetricRecord::problem, (p, q) -> p));
        assertEquals(Set.of("c", "d", "e"), problems.keySet());
        assertEquals("missing slice(s) [2] of 0..3 (3 of 4 present)", problems.get("c"));
        assertEquals("slice 1: label_native has class id(s) [7] outside the model's classes 0..3", problems.get("d"));
        assertTrue(problems.get("e").startsWith("slice 3: no label_native"), problems.get("e"));
        assertTrue(rows.stream().filter(x -> x.problem() != null).allMatch(x -> x.dice() == null
                && x.emptyRule().equals("transunet:not_scored")));
        assertTrue(r.err().contains("medseg evaluate: case c: missing slice(s)"), r.err());

        // summary: Table 2 (a 3-class dataset), printed and written
        assertTrue(r.out().contains("Table 2"), r.out());
        assertTrue(Files.isRegularFile(runDir.resolve("summary_table2.csv")));
        assertTrue(r.out().contains("scored 2 of 5 cases"), r.out());

        // the two scored cases, worst first, drawn at native size; and the training curves
        List<Path> overlays;
        try (Stream<Path> s = Files.list(runDir.resolve("overlays"))) {
            overlays = s.sorted().toList();
        }
        assertEquals(2, overlays.size(), overlays.toString());
        assertTrue(overlays.get(0).getFileName().toString().startsWith("worst-01-"));
        BufferedImage img = ImageIO.read(overlays.get(0).toFile());
        assertEquals(NW, img.getWidth());
        assertEquals(NH, img.getHeight());
        assertTrue(Files.size(runDir.resolve("training_curves.png")) > 1000);
    }

    @Test
    void predictWritesNativeMasksAndThePredictionsTable() throws Exception {
        Path out = dir.resolve("pred3d");
        Run r = medseg("predict", "--run", runDir.toString(), "--data", data.toString(), "--output", out.toString());
        assertEquals(4, r.exit(), r.err()); // case c is incomplete; d and e need no labels to be predicted
        assertTrue(r.err().contains("medseg predict: case c: missing slice(s) [2]"), r.err());
        assertFalse(Files.exists(out.resolve("c.nii.gz")));
        for (String id : List.of("a", "b")) {
            EvalShards.NativeCase c = cases.get(id);
            LabelVolume v = new NiftiReader().readLabels(out.resolve(id + ".nii.gz"));
            assertEquals(List.of(NW, NH, c.depth()), List.of(v.nx(), v.ny(), v.nz()));
            assertArrayEquals(new double[]{SPACING[1], SPACING[0], SPACING[2]}, v.spacing(), 1e-6);
            byte[] expected = expectedPrediction(c, weights);
            int[] ids = v.ids();
            for (int i = 0; i < ids.length; i++) {
                assertEquals(expected[i] & 0xFF, ids[i], "case " + id + " voxel " + i);
            }
        }
        List<PredictionRecord> table = ResultTables.read(spark, ResultTable.PREDICTIONS, List.of(out.toString()))
                .collectAsList().stream().map(PredictionRecord::fromRow).toList();
        assertEquals(new TreeSet<>(List.of("a", "b", "d", "e")),
                table.stream().map(PredictionRecord::caseId).collect(Collectors.toCollection(TreeSet::new)));
        assertEquals(4 + 3 + 4 + 4, table.size());
        byte[] expectedA = expectedPrediction(cases.get("a"), weights);
        for (PredictionRecord p : table.stream().filter(x -> x.caseId().equals("a")).toList()) {
            assertEquals(NH, p.height());
            assertEquals(NW, p.width());
            assertArrayEquals(java.util.Arrays.copyOfRange(expectedA, p.sliceIndex() * NH * NW, (p.sliceIndex() + 1) * NH * NW),
                    p.ids(), "slice " + p.sliceIndex());
        }
    }

    @Test
    void predictWritesAPngPerTwoDimensionalImage() throws Exception {
        Path out = dir.resolve("pred2d");
        Run r = medseg("predict", "--run", runDir.toString(), "--data", data.toString(), "--output", out.toString(),
                "train.dataset=flat");
        assertEquals(0, r.exit(), r.err());
        BufferedImage png = ImageIO.read(out.resolve("img1.png").toFile());
        EvalShards.NativeCase c = cases.get("img1");
        assertEquals(45, png.getWidth());
        assertEquals(30, png.getHeight());
        byte[] expected = expectedPrediction(c, weights);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 45; x++) {
                assertEquals(expected[y * 45 + x] & 0xFF, png.getRaster().getSample(x, y, 0), "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void finalCheckpointAndUsageErrors() {
        Path out = dir.resolve("eval-final");
        Run r = medseg("evaluate", "--run", runDir.toString(), "--data", data.toString(), "--checkpoint", "final",
                "--overlays", "0", "--output", out.toString(), "train.dataset=flat");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("final.safetensors (step 3)"), r.out());
        assertTrue(r.out().contains("Table 2"), r.out());
        assertTrue(Files.isRegularFile(out.resolve("summary_table2.csv")));
        var flatRows = ResultTables.read(spark, ResultTable.CASE_METRICS, List.of(out.toString())).collectAsList();
        assertEquals(3, flatRows.size()); // one 2-D image, 3 classes, scored
        assertTrue(flatRows.stream().allMatch(x -> x.isNullAt(x.fieldIndex("problem"))));

        Run missing = medseg("evaluate", "--run", runDir.toString(), "--data", data.toString(), "--checkpoint",
                dir.resolve("nope.safetensors").toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("no such file"), missing.err());

        Run notRun = medseg("evaluate", "--run", data.toString(), "--data", data.toString());
        assertEquals(2, notRun.exit());
        assertTrue(notRun.err().contains("no resolved.conf (not a training run folder)"), notRun.err());

        Run noSplit = medseg("evaluate", "--run", runDir.toString(), "--data", data.toString(), "--split", "val");
        assertEquals(2, noSplit.exit());
        assertTrue(noSplit.err().contains("dataset acdc has no rows in split 'val'"), noSplit.err());
    }
}
