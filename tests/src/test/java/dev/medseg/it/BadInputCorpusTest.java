package dev.medseg.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.medseg.data.io.Image2dReader;
import dev.medseg.data.io.ImageFormatException;
import dev.medseg.data.io.NiftiReader;
import dev.medseg.data.io.Volume;
import dev.medseg.data.layout.LabelMap;
import dev.medseg.data.prep.CasePipeline;
import dev.medseg.data.prep.CaseRejection;
import dev.medseg.data.prep.CaseTask;
import dev.medseg.data.prep.Interpolation;
import dev.medseg.data.prep.PrepOptions;
import dev.medseg.data.prep.SliceRecipe;
import dev.medseg.job.config.ConfigError;
import dev.medseg.job.config.ConfigLoader;
import dev.medseg.job.config.ModelSettings;
import dev.medseg.job.config.Settings;
import dev.medseg.job.cli.UserError;
import dev.medseg.job.evaluate.SplitSlices;
import dev.medseg.job.train.SliceData;
import dev.medseg.job.train.TrainSettings;
import dev.medseg.model.ModelConfig;
import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.io.LlamaBlockExtractor;
import dev.medseg.model.io.TensorInfo;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.io.TensorSources;
import dev.medseg.model.train.ModelCheckpoint;
import dev.medseg.model.train.ParamLayout;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Runs every file of {@code tests/fixtures/bad-inputs/} (written by {@code make_corpus.py}) through the reader of
 * its folder. Each must fail with the module's own exception type, naming the file, within a time limit and
 * without allocating more than a bounded amount: never an OutOfMemoryError, a hang, or a stray
 * IndexOutOfBounds/NegativeArraySize/Arithmetic exception. The pickles that would run a shell command must be
 * refused without running it. Files in {@code valid/} (awkward names, sound content) must read.
 * Slice shards of another prep version or a damaged copy ({@link ForeignShards}, written here with Spark local mode)
 * must be refused by the readers of train and evaluate with a {@link UserError} naming the data root.
 */
class BadInputCorpusTest {
    private static final Path CORPUS = Repo.root().resolve("tests/fixtures/bad-inputs");
    private static final Path PWNED = Path.of("/tmp/medseg-bad-input-pwned");
    private static final Duration TIME_LIMIT = Duration.ofSeconds(20);
    /** What one rejected file may cost in heap allocation: far below what any declared size in the corpus asks for. */
    private static final long MAX_ALLOCATED_BYTES = 160L << 20;
    private static final AtomicInteger TRIED = new AtomicInteger();
    private static final AtomicInteger REJECTED = new AtomicInteger();

    @BeforeAll
    static void noMarkerYet() throws IOException {
        Files.deleteIfExists(PWNED);
    }

    @AfterAll
    static void nothingRanAndEverythingWasRejected() {
        assertFalse(Files.exists(PWNED), "a pickle in the corpus executed a command: " + PWNED + " exists");
        System.out.println("bad-input corpus: " + TRIED.get() + " reads of bad files tried, " + REJECTED.get() + " rejected cleanly");
    }

    @TestFactory
    Stream<DynamicTest> niftiReaderRejectsEveryBadVolume() {
        return each("nifti", f -> {
            rejects(f, ImageFormatException.class, () -> new NiftiReader().read(f));
            rejects(f, ImageFormatException.class, () -> new NiftiReader().readLabels(f));
        });
    }

    @TestFactory
    Stream<DynamicTest> niftiLabelReadRefusesWhatIsNoLabelMap() {
        return each("nifti-labels", f -> {
            Volume v = new NiftiReader().read(f);
            long expected = f.getFileName().toString().startsWith("labels") ? 0 : f.getFileName().toString().startsWith("minus") ? 1 : 2;
            assertEquals(expected, v.countNonFinite(), "NaN/Inf voxels are counted (data-prep rejects such cases), not hidden");
            rejects(f, ImageFormatException.class, () -> new NiftiReader().readLabels(f));
        });
    }

    @TestFactory
    Stream<DynamicTest> image2dReaderRejectsEveryBadImage() {
        return each("image2d", f -> rejects(f, ImageFormatException.class, () -> new Image2dReader().read(f)));
    }

    @TestFactory
    Stream<DynamicTest> tensorReadersRejectEveryBadFile() {
        return Stream.of("npy", "npz", "pth", "safetensors").flatMap(folder ->
                each(folder, f -> rejects(f, CheckpointFormatException.class, () -> readEveryTensor(f))));
    }

    @TestFactory
    Stream<DynamicTest> modelCheckpointRejectsForeignOrDamagedFiles() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("w", new long[] {2, 2});
        ParamLayout params = ParamLayout.of(shapes);
        ParamLayout buffers = ParamLayout.of(Map.of());
        return each("checkpoint", f -> rejects(f, CheckpointFormatException.class, () -> ModelCheckpoint.read(f, params, buffers)));
    }

    @TestFactory
    Stream<DynamicTest> llamaBlockInspectionRejectsIncompleteOrInconsistentBlocks() {
        return each("llama", f -> rejects(f, CheckpointFormatException.class, () -> {
            try (TensorSource src = TensorSources.open(f)) {
                LlamaBlockExtractor.inspect(src, 0);
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> configLoaderRejectsUnknownKeysWrongTypesAndBadSyntax() {
        return each("conf", f -> rejects(f, ConfigError.class, () -> {
            Settings s = new Settings(ConfigLoader.load(Optional.of(f), List.of()));
            ModelSettings.from(s);
            TrainSettings.from(s);
        }));
    }

    /** Which file of each {@code pairs/} pair prep must blame, and a word its reason must contain. */
    private static final Map<String, String[]> PAIR_FAULTS = Map.of(
            "shape_3d_label_one_slice_more", new String[] {"label", "shape mismatch"},
            "spacing 3d label 2.5 mm ü", new String[] {"label", "spacing mismatch"},
            "axes_swapped_3x4x2", new String[] {"label", "shape mismatch"},
            "nan_inf_in_image", new String[] {"image", "2 NaN/Inf voxel(s)"},
            "label_id_7_outside_the_map", new String[] {"label", "[7]"},
            "label_fraction_0.5", new String[] {"label", "0.5"},
            "volume with a png label 图像", new String[] {"label", "NIfTI"},
            "transposed_2d_mask", new String[] {"label", "shape mismatch"},
            "constant_image_2d", new String[] {"image", "empty image"});

    @TestFactory
    Stream<DynamicTest> casePipelineRejectsPairsThatDoNotBelongTogether() {
        // binary lesion masks (0, 1, 255), min-max intensity, as prep runs the 2-D layouts
        SliceRecipe recipe = new SliceRecipe(8, Interpolation.LINEAR, PrepOptions.parseIntensity("minmax"),
                LabelMap.binary("lesion").toLookupTable(), 2, 0, 1 << 20);
        List<Path> images;
        try (Stream<Path> s = Files.list(CORPUS.resolve("pairs"))) {
            images = s.filter(f -> f.getFileName().toString().contains(".image.")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("corpus folder missing: run tests/fixtures/bad-inputs/make_corpus.py", e);
        }
        assertEquals(PAIR_FAULTS.keySet(), images.stream().map(BadInputCorpusTest::pairName).collect(java.util.stream.Collectors.toSet()));
        return images.stream().map(image -> dynamicTest("pairs/" + image.getFileName(), () -> {
            String name = pairName(image);
            Path label;
            try (Stream<Path> s = Files.list(image.getParent())) {
                label = s.filter(f -> f.getFileName().toString().startsWith(name + ".label.")).findFirst().orElseThrow();
            }
            String[] fault = PAIR_FAULTS.get(name);
            Path blamed = fault[0].equals("image") ? image : label;
            // CaseRejection keeps the file apart from the reason (the rejected table has both columns)
            rejects(blamed, CaseRejection.class, fault[1], t -> t instanceof CaseRejection r ? r.file() + ": " + r.getMessage()
                    : t.getMessage(), () -> {
                        var slices = new CasePipeline(recipe).open(new CaseTask("corpus", name, image.toString(),
                                List.of(label.toString()), "test", 0));
                        while (slices.hasNext()) slices.next();
                    });
        }));
    }

    private static String pairName(Path image) {
        String n = image.getFileName().toString();
        return n.substring(0, n.indexOf(".image."));
    }

    @TestFactory
    Stream<DynamicTest> sliceReadersRefuseForeignShards(@TempDir Path shards) {
        ModelConfig model = ModelConfig.testing(2, ForeignShards.SIDE, false);
        return ForeignShards.variants().stream().flatMap(v -> {
            DynamicTest train = dynamicTest("slices/" + v.name() + " (train: SliceData)", () -> {
                Path root = v.writeUnder(spark(), shards);
                rejects(root, UserError.class, v.mention(), () -> {
                    Dataset<Row> table = SliceData.table(spark(), root.toString());
                    String dataset = SliceData.dataset(table, "", root.toString());
                    SliceData.samples(table, dataset, ForeignShards.SPLIT, model, root.toString());
                });
            });
            DynamicTest evaluate = dynamicTest("slices/" + v.name() + " (evaluate: SplitSlices)", () -> {
                Path root = v.writeUnder(spark(), shards);
                rejects(root, UserError.class, v.mention(), () -> {
                    Dataset<Row> table = SliceData.table(spark(), root.toString());
                    String dataset = SliceData.dataset(table, ForeignShards.DATASET, root.toString());
                    SplitSlices.of(table, dataset, ForeignShards.SPLIT, model, root.toString(), 2);
                });
            });
            return v.labelsOnly() ? Stream.of(train) : Stream.of(train, evaluate);
        });
    }

    @TestFactory
    Stream<DynamicTest> soundSlicesAreReadByBothReaders(@TempDir Path shards) {
        // the control: without it, a reader refusing everything would pass the test above
        return Stream.of(dynamicTest("slices/sound ü 数据", () -> {
            Path root = shards.resolve("sound ü 数据");
            ForeignShards.write(spark(), root, ForeignShards.sound());
            ModelConfig model = ModelConfig.testing(2, ForeignShards.SIDE, false);
            Dataset<Row> table = SliceData.table(spark(), root.toString());
            var samples = SliceData.samples(table, ForeignShards.DATASET, ForeignShards.SPLIT, model, root.toString())
                    .collect();
            assertEquals(ForeignShards.ROWS, samples.size());
            for (var s : samples) {
                int i = Integer.parseInt(s.caseId().substring(4)) * 2 + s.sliceIndex();
                assertTrue(java.util.Arrays.equals(ForeignShards.label(i), s.label()), s.caseId());
                assertEquals((1 + i) / (float) ForeignShards.SIDE, s.image()[1], 0f, s.caseId());
            }
            SplitSlices split = SplitSlices.of(table, ForeignShards.DATASET, ForeignShards.SPLIT, model, root.toString(), 2);
            assertEquals(2, split.cases());
            assertEquals(ForeignShards.ROWS, split.rows().count());
        }));
    }

    @TestFactory
    Stream<DynamicTest> soundFilesUnderAwkwardNamesStillRead() {
        return each("valid", f -> assertTimeoutPreemptively(TIME_LIMIT, () -> {
            String name = f.getFileName().toString();
            if (name.endsWith(".nii.gz")) {
                assertEquals(24, new NiftiReader().read(f).data().length);
            } else if (name.endsWith(".png") || name.endsWith(".tif")) {
                assertEquals(16 * 8, new Image2dReader().read(f).data().length);
            } else {
                try (TensorSource src = TensorSources.open(f)) {
                    assertEquals(1, src.names().size(), src.names().toString());
                    assertEquals(6, src.readFloat(src.names().get(0)).length);
                }
            }
        }));
    }

    /** Every tensor, in every form a caller may ask for: the lazy readers fail only when data is touched. */
    static void readEveryTensor(Path f) {
        try (TensorSource src = TensorSources.open(f)) {
            for (String n : src.names()) {
                TensorInfo info = src.require(n);
                if (info.dtype().isFloating()) {
                    src.readFloat(n);
                } else {
                    src.readLong(n);
                }
                src.readRaw(n);
            }
        }
    }

    private interface FileCheck {
        void check(Path f) throws Exception;
    }

    private interface Read {
        void run() throws Exception;
    }

    private record Outcome(Throwable thrown, long allocated) {
    }

    private static Stream<DynamicTest> each(String folder, FileCheck check) {
        List<Path> files;
        try (Stream<Path> s = Files.list(CORPUS.resolve(folder))) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("corpus folder missing: run tests/fixtures/bad-inputs/make_corpus.py", e);
        }
        assertFalse(files.isEmpty(), folder + " is empty");
        return files.stream().map(f -> dynamicTest(folder + "/" + f.getFileName(), () -> check.check(f)));
    }

    /** A local Spark session for the slice readers (shared with any other test class of this JVM). */
    private static SparkSession spark() {
        return SparkSession.builder().master("local[2]").appName("bad-input corpus")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    /** {@link #rejects(Path, Class, Read)}, and the message must also mention {@code problem}. */
    static void rejects(Path f, Class<? extends RuntimeException> type, String problem, Read read) {
        rejects(f, type, problem, Throwable::getMessage, read);
    }

    /**
     * {@link #rejects(Path, Class, Read)} where {@code describe} gives what the user sees of the exception, which
     * must name the file and mention {@code problem}.
     */
    static void rejects(Path f, Class<? extends RuntimeException> type, String problem,
                        java.util.function.Function<Throwable, String> describe, Read read) {
        rejects(f, type, describe, () -> {
            try {
                read.run();
            } catch (RuntimeException e) {
                if (type.isInstance(e) && !String.valueOf(describe.apply(e)).contains(problem)) {
                    throw new AssertionError(f + ": the message does not say '" + problem + "': " + describe.apply(e), e);
                }
                throw e;
            }
        });
    }

    /** The read must throw {@code type}, naming the file, in time and within the allocation budget. */
    static void rejects(Path f, Class<? extends RuntimeException> type, Read read) {
        rejects(f, type, Throwable::getMessage, read);
    }

    private static void rejects(Path f, Class<? extends RuntimeException> type,
                                java.util.function.Function<Throwable, String> describe, Read read) {
        TRIED.incrementAndGet();
        Outcome o = assertTimeoutPreemptively(TIME_LIMIT, () -> {
            long before = allocatedByThisThread();
            try {
                read.run();
                return new Outcome(null, allocatedByThisThread() - before);
            } catch (Throwable t) { // OutOfMemoryError and StackOverflowError included: they fail the contract below
                return new Outcome(t, allocatedByThisThread() - before);
            }
        }, () -> f + ": no answer within " + TIME_LIMIT);
        if (o.thrown == null) {
            fail(f + ": accepted, but the corpus holds only bad files");
        }
        if (!type.isInstance(o.thrown)) {
            fail(f + ": threw " + o.thrown.getClass().getName() + " instead of " + type.getSimpleName() + "\n" + trace(o.thrown));
        }
        String message = describe.apply(o.thrown);
        assertTrue(namesFile(message, f), () -> "message does not name the file " + f + ": " + message);
        assertTrue(o.allocated < MAX_ALLOCATED_BYTES, () -> f + ": allocated " + (o.allocated >> 20)
                + " MB before rejecting it (" + message + ")");
        REJECTED.incrementAndGet();
    }

    /** The message names the file, or for a NIfTI .hdr/.img pair the other half of the pair. */
    private static boolean namesFile(String message, Path f) {
        if (message == null) {
            return false;
        }
        if (message.contains(f.toString())) {
            return true;
        }
        String name = f.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return (name.endsWith(".img") || name.endsWith(".hdr")) && message.contains(f.resolveSibling(stem).toString());
    }

    private static long allocatedByThisThread() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    private static String trace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        String s = w.toString();
        return s.length() > 3000 ? s.substring(0, 3000) : s;
    }
}
