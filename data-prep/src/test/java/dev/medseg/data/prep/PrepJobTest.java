package dev.medseg.data.prep;

import dev.medseg.data.io.NiftiDatatype;
import dev.medseg.data.layout.Split;
import dev.medseg.data.slices.SliceSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End-to-end prep on tiny generated trees, read back through Spark SQL. */
class PrepJobTest {

    static SparkSession spark;
    @TempDir
    static Path dir;
    static Path synapse;
    static Path twoD;

    @BeforeAll
    static void setUp() throws IOException {
        spark = SparkSession.builder().master("local[2]").appName("prep-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        synapse = dir.resolve("btcv");
        Path img = synapse.resolve("RawData/Training/img");
        Path lab = synapse.resolve("RawData/Training/label");
        // case0001 (test): 2x2x2, HU = -125 + 100 (x + 2y) + z, a linear ramp inside the window
        PrepTrees.volume(img.resolve("img0001.nii.gz"), 2, 2, 2, (x, y, z) -> -125 + 100 * (x + 2 * y) + z, NiftiDatatype.INT16);
        PrepTrees.labels(lab.resolve("label0001.nii.gz"), 2, 2, 2, (x, y, z) -> x == 1 && y == 1 ? 6 : (x == 0 && y == 1 ? 11 : 0));
        // case0005 (train): 3x3x2 native size, clipped at both window ends
        PrepTrees.volume(img.resolve("img0005.nii.gz"), 3, 3, 2, (x, y, z) -> x == 0 ? -1000 : x == 1 ? 75 : 1000, NiftiDatatype.INT16);
        PrepTrees.labels(lab.resolve("label0005.nii.gz"), 3, 3, 2, (x, y, z) -> z == 1 && x == 2 ? 1 : 5);
        // bad cases, each with a different defect
        PrepTrees.volume(img.resolve("img0006.nii.gz"), 3, 3, 2, (x, y, z) -> x + y + z, NiftiDatatype.INT16);
        corruptGzip(img.resolve("img0006.nii.gz"));
        PrepTrees.labels(lab.resolve("label0006.nii.gz"), 3, 3, 2, (x, y, z) -> 0);
        PrepTrees.volume(img.resolve("img0007.nii.gz"), 3, 3, 2, (x, y, z) -> x + y + z, NiftiDatatype.INT16);
        PrepTrees.labels(lab.resolve("label0007.nii.gz"), 3, 3, 2, (x, y, z) -> x == 2 ? 20 : 0);
        PrepTrees.volume(img.resolve("img0009.nii.gz"), 3, 3, 2, (x, y, z) -> x == 1 && z == 1 ? Float.NaN : x, NiftiDatatype.FLOAT32);
        PrepTrees.labels(lab.resolve("label0009.nii.gz"), 3, 3, 2, (x, y, z) -> 0);
        PrepTrees.volume(img.resolve("img0010.nii.gz"), 3, 3, 2, (x, y, z) -> x + y, NiftiDatatype.INT16);
        PrepTrees.labels(lab.resolve("label0010.nii.gz"), 3, 3, 3, (x, y, z) -> 0);
        PrepTrees.volume(img.resolve("img0021.nii.gz"), 3, 3, 2, (x, y, z) -> 0, NiftiDatatype.INT16);
        PrepTrees.labels(lab.resolve("label0021.nii.gz"), 3, 3, 2, (x, y, z) -> 0);
        Files.write(img.resolve("img0023.nii"), new byte[100]); // truncated header
        PrepTrees.labels(lab.resolve("label0023.nii.gz"), 3, 3, 2, (x, y, z) -> 0);
        PrepTrees.volume(img.resolve("img0024.nii.gz"), 3, 3, 2, (x, y, z) -> x, NiftiDatatype.INT16); // no label

        twoD = dir.resolve("polyps");
        for (int i = 0; i < 6; i++) {
            int k = i;
            PrepTrees.png(twoD.resolve("images/p" + i + ".png"), 4, 3, (x, y) -> 10 * (x + 4 * y) + k);
            PrepTrees.png(twoD.resolve("masks/0/p" + i + ".png"), 4, 3, (x, y) -> x >= 2 ? 255 : 0);
        }
    }

    @AfterAll
    static void tearDown() {
        PrepJob.beforeCaseForTests = null;
        spark.stop();
    }

    static void corruptGzip(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        for (int i = 30; i < b.length - 8; i++) {
            b[i] ^= 0x5a;
        }
        Files.write(f, b);
    }

    static PrepOptions synapseOptions(Path out) {
        return PrepOptions.defaults("synapse", synapse.toString(), out.toString()).withImageSize(3);
    }

    static List<Row> rows(Path out) {
        return spark.read().parquet(out.resolve("slices").toString())
                .select(Arrays.stream(SliceSchema.schema().fieldNames()).map(org.apache.spark.sql.functions::col)
                        .toArray(org.apache.spark.sql.Column[]::new))
                .orderBy(SliceSchema.SPLIT, SliceSchema.CASE_ID, SliceSchema.SLICE_INDEX).collectAsList();
    }

    @Test
    void synapseEndToEnd() throws IOException {
        Path out = dir.resolve("out-synapse");
        List<String> lines = new ArrayList<>();
        PrepSummary s = PrepJob.run(spark, synapseOptions(out), lines::add);

        Dataset<Row> df = spark.read().parquet(out.resolve("slices").toString());
        Map<String, String> types = Arrays.stream(df.schema().fields())
                .collect(Collectors.toMap(StructField::name, f -> f.dataType().simpleString()));
        Map<String, String> expected = Arrays.stream(SliceSchema.schema().fields())
                .collect(Collectors.toMap(StructField::name, f -> f.dataType().simpleString()));
        assertEquals(expected, types);
        assertTrue(Files.isDirectory(out.resolve("slices/dataset=synapse/split=test")));
        assertTrue(Files.isDirectory(out.resolve("slices/dataset=synapse/split=train")));

        List<Row> rows = rows(out);
        assertEquals(4, rows.size());
        assertEquals(4, s.slicesWritten());
        assertEquals(2, s.casesWritten());
        // case0001, test, slice 1: window (100 (x + 2y) + 1) / 400 at x = j/2, y = i/2 (align-corners bilinear)
        Row t1 = rows.get(1);
        assertEquals("test", t1.getAs(SliceSchema.SPLIT));
        assertEquals("case0001", t1.getAs(SliceSchema.CASE_ID));
        assertEquals(1, (int) t1.getAs(SliceSchema.SLICE_INDEX));
        assertEquals(2, (int) t1.getAs(SliceSchema.NUM_SLICES));
        assertEquals(2, (int) t1.getAs(SliceSchema.ORIGINAL_HEIGHT));
        float[] image = SliceSchema.decodeImage(t1.getAs(SliceSchema.IMAGE), 1, 3, 3, "t1");
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                assertEquals((100 * (j / 2.0 + 2 * (i / 2.0)) + 1) / 400.0, image[i * 3 + j], 1e-6, "pixel " + i + "," + j);
            }
        }
        // labels: BTCV 6 (liver) -> 5 at (x=1, y=1), 11 (pancreas) -> 8 at (x=0, y=1); nearest to 3x3 rounds .5 up
        byte[] label = SliceSchema.checkLabel(t1.getAs(SliceSchema.LABEL), 3, 3, "t1");
        assertArrayEquals(new byte[]{0, 0, 0, 8, 5, 5, 8, 5, 5}, label);
        assertArrayEquals(new byte[]{0, 0, 8, 5}, (byte[]) t1.getAs(SliceSchema.LABEL_NATIVE));
        List<Double> spacing = t1.getList(t1.fieldIndex(SliceSchema.SPACING));
        assertArrayEquals(new double[]{0.7, 0.8, 2.5}, spacing.stream().mapToDouble(Double::doubleValue).toArray(), 1e-6);
        assertTrue(((String) t1.getAs(SliceSchema.SOURCE_IMAGE)).endsWith("img0001.nii.gz"));
        assertEquals(SliceSchema.VERSION, t1.getAs(SliceSchema.PREP_VERSION));
        // case0005, train, native 3x3: clipped to 0, (75 + 125) / 400 = 0.5, 1; no native labels on train rows
        Row tr = rows.get(3);
        assertEquals("case0005", tr.getAs(SliceSchema.CASE_ID));
        float[] clipped = SliceSchema.decodeImage(tr.getAs(SliceSchema.IMAGE), 1, 3, 3, "tr");
        assertArrayEquals(new float[]{0, 0.5f, 1, 0, 0.5f, 1, 0, 0.5f, 1}, clipped, 0f);
        assertArrayEquals(new byte[]{0, 0, 1, 0, 0, 1, 0, 0, 1}, (byte[]) tr.getAs(SliceSchema.LABEL));
        assertNull(tr.getAs(SliceSchema.LABEL_NATIVE));

        // every bad case is in the rejected table with its reason; the listed-but-absent TransUNet cases too
        Map<String, Row> rejected = spark.read().parquet(out.resolve("rejected").toString()).collectAsList().stream()
                .filter(r -> r.getAs("case_id") != null).collect(Collectors.toMap(r -> r.getAs("case_id"), r -> r));
        assertEquals(6, rejected.size(), rejected.toString());
        assertReason(rejected, "case0006", "corrupt gzip");
        assertReason(rejected, "case0007", "label ids outside the label map, e.g. [20]");
        assertReason(rejected, "case0009", "NaN/Inf");
        assertReason(rejected, "case0010", "shape mismatch");
        assertReason(rejected, "case0021", "empty volume");
        assertReason(rejected, "case0023", "");
        List<Row> listing = spark.read().parquet(out.resolve("rejected").toString()).where("case_id is null").collectAsList();
        assertTrue(listing.stream().anyMatch(r -> ((String) r.getAs("reason")).startsWith("MISSING_LABEL")
                && ((String) r.getAs("file")).endsWith("img0024.nii.gz")), listing.toString());
        assertTrue(listing.stream().allMatch(r -> "listing".equals(r.getAs("stage"))));
        assertEquals(s.rejected().size(), rejected.size() + listing.size());

        String manifest = Files.readString(out.resolve("manifest.json"));
        assertTrue(manifest.contains("\"prep_version\": \"slices/1\""), manifest);
        assertTrue(manifest.contains("\"intensity\": \"ct-window(-125,275)\""), manifest);
        assertTrue(manifest.replaceAll("\\s", "").contains("\"test\":{\"cases\":1,\"slices\":2,\"class_pixels\":[6,0,0,0,0,8,0,0,4]}"), manifest);
        assertTrue(manifest.replaceAll("\\s", "").contains("\"rejected\":{\"count\":" + s.rejected().size()), manifest);
        assertTrue(lines.stream().anyMatch(l -> l.contains("cases 8/8 done, 4 slices written")), lines.toString());

        // re-running gives identical rows
        Path again = dir.resolve("out-synapse-again");
        PrepJob.run(spark, synapseOptions(again), l -> { });
        List<Row> second = rows(again);
        assertEquals(rows.size(), second.size());
        for (int i = 0; i < rows.size(); i++) {
            for (String c : SliceSchema.schema().fieldNames()) {
                Object a = rows.get(i).getAs(c);
                Object b = second.get(i).getAs(c);
                if (a instanceof byte[] ba) {
                    assertArrayEquals(ba, (byte[]) b, c);
                } else {
                    assertEquals(a, b, c);
                }
            }
        }
        assertEquals(manifest.replace(synapse.toString(), ""), Files.readString(again.resolve("manifest.json")).replace(synapse.toString(), ""));
    }

    static void assertReason(Map<String, Row> rejected, String caseId, String fragment) {
        Row r = rejected.get(caseId);
        assertNotNull(r, caseId + " not rejected: " + rejected.keySet());
        assertTrue(((String) r.getAs("reason")).contains(fragment), caseId + ": " + r);
        assertFalse(((String) r.getAs("file")).isBlank());
    }

    @Test
    void twoDimensionalEndToEnd() {
        Path out = dir.resolve("out-2d");
        PrepOptions o = PrepOptions.defaults("images-masks", twoD.toString(), out.toString()).withImageSize(8).withChannels(3);
        PrepSummary s = PrepJob.run(spark, o, l -> { });
        assertTrue(s.rejected().isEmpty(), s.rejected().toString());
        List<Row> rows = rows(out);
        assertEquals(6, rows.size());
        // the paper split of 6 ids: ceil(1.2) = 2 test, ceil(0.8) = 1 val, 3 train
        Map<String, Long> bySplit = rows.stream().collect(Collectors.groupingBy(r -> r.getAs(SliceSchema.SPLIT), Collectors.counting()));
        assertEquals(Map.of("test", 2L, "val", 1L, "train", 3L), bySplit);
        Map<String, Split> expected = dev.medseg.data.layout.SeededSplit.PAPER.assign(List.of("p0", "p1", "p2", "p3", "p4", "p5"));
        for (Row r : rows) {
            assertEquals(expected.get((String) r.getAs(SliceSchema.CASE_ID)).partitionValue(), r.getAs(SliceSchema.SPLIT));
            assertEquals(3, (int) r.getAs(SliceSchema.CHANNELS));
            assertEquals(3, (int) r.getAs(SliceSchema.ORIGINAL_HEIGHT));
            assertEquals(4, (int) r.getAs(SliceSchema.ORIGINAL_WIDTH));
            boolean scored = !"train".equals(r.getAs(SliceSchema.SPLIT));
            assertEquals(scored, r.getAs(SliceSchema.LABEL_NATIVE) != null);
            if (scored) {
                assertArrayEquals(new byte[]{0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1}, (byte[]) r.getAs(SliceSchema.LABEL_NATIVE));
            }
        }
        // corner pixels survive the align-corners resize: (0, 0) = k / 255, (7, 7) = (110 + k) / 255, all channels
        Row p2 = rows.stream().filter(r -> "p2".equals(r.getAs(SliceSchema.CASE_ID))).findFirst().orElseThrow();
        float[] img = SliceSchema.decodeImage(p2.getAs(SliceSchema.IMAGE), 3, 8, 8, "p2");
        for (int c = 0; c < 3; c++) {
            assertEquals(2 / 255f, img[c * 64], 1e-6f);
            assertEquals(112 / 255f, img[c * 64 + 63], 1e-6f);
        }
        assertTrue(Files.isDirectory(out.resolve("slices/dataset=images-masks/split=val")));
    }

    @Test
    void strictFailsAndLeavesNoOutput() throws IOException {
        Path out = dir.resolve("out-strict");
        PrepException e = assertThrows(PrepException.class,
                () -> PrepJob.run(spark, synapseOptions(out).withStrict(true), l -> { }));
        assertTrue(e.isStrictRejection());
        assertTrue(e.getMessage().matches("(?s)strict: \\d+ case\\(s\\) or file\\(s\\) rejected, nothing written; first reasons:.*"), e.getMessage());
        assertFalse(Files.exists(out));
        assertNoTempDirs();
    }

    @Test
    void existingOutputIsRefusedUnlessOverwrite() throws IOException {
        Path out = dir.resolve("out-exists");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "x");
        PrepOptions o = PrepOptions.defaults("images-masks", twoD.toString(), out.toString()).withImageSize(4);
        PrepException e = assertThrows(PrepException.class, () -> PrepJob.run(spark, o, l -> { }));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertTrue(Files.exists(out.resolve("keep.txt")));
        PrepJob.run(spark, o.withOverwrite(true), l -> { });
        assertFalse(Files.exists(out.resolve("keep.txt")));
        assertTrue(Files.exists(out.resolve("manifest.json")));
        assertNoTempDirs();
    }

    @Test
    void failedTaskLeavesNoOutputAndNoTempDir() throws IOException {
        Path out = dir.resolve("out-interrupted");
        PrepJob.beforeCaseForTests = t -> {
            if (t.caseId().equals("p3")) {
                throw new IllegalStateException("simulated executor loss");
            }
        };
        try {
            PrepOptions o = PrepOptions.defaults("images-masks", twoD.toString(), out.toString()).withImageSize(4);
            assertThrows(Exception.class, () -> PrepJob.run(spark, o, l -> { }));
        } finally {
            PrepJob.beforeCaseForTests = null;
        }
        assertFalse(Files.exists(out));
        assertNoTempDirs();
    }

    @Test
    void unknownSplitOverrideIsRefused() {
        PrepOptions o = PrepOptions.defaults("images-masks", twoD.toString(), dir.resolve("never").toString())
                .withSplitOverrides(Map.of("nope", Split.TRAIN));
        PrepException e = assertThrows(PrepException.class, () -> PrepJob.run(spark, o, l -> { }));
        assertTrue(e.getMessage().contains("[nope]"), e.getMessage());
    }

    static void assertNoTempDirs() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> tmp = s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".prep-")).toList();
            assertEquals(List.of(), tmp);
        }
    }
}
