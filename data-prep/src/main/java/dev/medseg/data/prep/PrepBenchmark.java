package dev.medseg.data.prep;

import dev.medseg.data.io.LabelVolume;
import dev.medseg.data.io.NiftiDatatype;
import dev.medseg.data.io.NiftiWriter;
import dev.medseg.data.io.Volume;
import dev.medseg.data.io.VolumeGeometry;
import dev.medseg.data.layout.DatasetLayouts;
import dev.medseg.data.layout.LabelMap;
import dev.medseg.data.layout.Listing;
import dev.medseg.data.slices.SliceSchema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code bench prep}: slices per second on generated BTCV-like volumes (int16, 512 x 512 x D, body-like HU
 * values, 13-organ labels) written as .nii.gz in the Synapse layout. Two figures: the per-case pipeline alone
 * on one core (read, window, resize to 256, encode rows), and the whole Spark job in {@code local[1]} (the
 * same plus Parquet writing and Spark's overhead). Each figure is one JSON line.
 */
public final class PrepBenchmark {

    /**
     * Benchmark settings.
     *
     * @param volumes       number of generated volumes
     * @param depth         slices per volume
     * @param workDir       where the BTCV tree and the Parquet output go (kept, so a peer can run on the same tree)
     * @param interpolation image resampling (cubic matches the Python peer, scipy order 3)
     */
    public record Settings(int volumes, int depth, Path workDir, Interpolation interpolation) {
        /** Checks sizes. */
        public Settings {
            if (volumes < 1 || depth < 1 || depth > 2000) {
                throw new IllegalArgumentException("volumes >= 1 and depth in [1, 2000] required");
            }
        }
    }

    private PrepBenchmark() {
    }

    /** Generates the tree (if absent) and runs both figures, passing each JSON line to {@code out}. */
    public static List<String> run(Settings s, java.util.function.Consumer<String> out) {
        Path root = s.workDir().resolve("btcv");
        generate(root, s.volumes(), s.depth());
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("volumes", s.volumes());
        config.put("shape", List.of(512, 512, s.depth()));
        config.put("datatype", "int16 .nii.gz");
        config.put("image_size", 256);
        config.put("interpolation", s.interpolation().configName());
        config.put("tree", root.toString());
        List<String> lines = new ArrayList<>();

        // 1. the pipeline alone: one core, no Spark
        Listing listing = DatasetLayouts.forName("synapse").list(root);
        LabelMap map = listing.labelMap();
        SliceRecipe recipe = new SliceRecipe(256, s.interpolation(), new IntensityTransform.CtWindow(-125, 275),
                map.toLookupTable(), map.numClasses(), 0, 1L << 30);
        CasePipeline pipeline = new CasePipeline(recipe);
        int imageColumn = SliceSchema.schema().fieldIndex(SliceSchema.IMAGE);
        long bytes = 0;
        long slices = 0;
        long t0 = System.nanoTime();
        for (var c : listing.cases()) {
            CasePipeline.CaseSlices rows = pipeline.open(CaseTask.of(c));
            while (rows.hasNext()) {
                Row r = rows.next();
                bytes += ((byte[]) r.get(imageColumn)).length;
                slices++;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> c1 = new LinkedHashMap<>(config);
        c1.put("mode", "pipeline, single core, no Spark, no Parquet");
        c1.put("slices", slices);
        c1.put("seconds", round(seconds));
        c1.put("image_bytes", bytes);
        lines.add(line("prep.pipeline.single_core", slices / seconds, c1));
        out.accept(lines.get(0));

        // 2. the Spark job, local[1]
        SparkSession spark = SparkSession.builder().master("local[1]").appName("bench-prep")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            spark.sparkContext().setLogLevel("WARN");
            Path output = s.workDir().resolve("out-" + System.nanoTime());
            PrepOptions o = PrepOptions.defaults("synapse", root.toString(), output.toString())
                    .withInterpolation(s.interpolation());
            long t1 = System.nanoTime();
            PrepSummary summary = PrepJob.run(spark, o, l -> { });
            double sec = (System.nanoTime() - t1) / 1e9;
            Map<String, Object> c2 = new LinkedHashMap<>(config);
            c2.put("mode", "spark job local[1]: list, read, window, resize, Parquet write, manifest");
            c2.put("slices", summary.slicesWritten());
            c2.put("seconds", round(sec));
            c2.put("output", output.toString());
            lines.add(line("prep.spark.local1", summary.slicesWritten() / sec, c2));
            out.accept(lines.get(1));
        } finally {
            spark.stop();
        }
        return lines;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static String line(String name, double value, Map<String, Object> config) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("value", round(value));
        m.put("unit", "slices/s");
        m.put("config", config);
        return Json.write(m);
    }

    /** Writes {@code n} BTCV-like training cases (img/label .nii.gz) under {@code root}, unless already there. */
    static void generate(Path root, int n, int depth) {
        Path img = root.resolve("RawData/Training/img");
        Path lab = root.resolve("RawData/Training/label");
        try {
            Files.createDirectories(img);
            Files.createDirectories(lab);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> numbers = new ArrayList<>(dev.medseg.data.layout.SynapseLayout.TRANSUNET_TRAIN);
        numbers.addAll(dev.medseg.data.layout.SynapseLayout.TRANSUNET_TEST);
        if (n > numbers.size()) {
            throw new IllegalArgumentException("at most " + numbers.size() + " BTCV-like volumes (the TransUNet case numbers)");
        }
        double[] spacing = {0.75, 0.75, 3.0};
        double[][] affine = {{-0.75, 0, 0, 0}, {0, -0.75, 0, 0}, {0, 0, 3.0, 0}, {0, 0, 0, 1}}; // LPS-like, as BTCV
        for (int i = 0; i < n; i++) {
            String num = numbers.get(i);
            Path imageFile = img.resolve("img" + num + ".nii.gz");
            Path labelFile = lab.resolve("label" + num + ".nii.gz");
            if (Files.exists(imageFile) && Files.exists(labelFile)) {
                continue;
            }
            VolumeGeometry g = new VolumeGeometry(512, 512, depth, spacing, affine);
            float[] hu = new float[512 * 512 * depth];
            int[] ids = new int[hu.length];
            Random r = new Random(1000 + i);
            for (int z = 0; z < depth; z++) {
                for (int y = 0; y < 512; y++) {
                    for (int x = 0; x < 512; x++) {
                        int k = x + 512 * (y + 512 * z);
                        double dx = (x - 256) / 200.0;
                        double dy = (y - 256) / 150.0;
                        boolean body = dx * dx + dy * dy < 1;
                        double v = body ? 40 + 30 * Math.sin(x * 0.05) * Math.cos(y * 0.07 + z * 0.1) : -1000;
                        hu[k] = (float) Math.rint(v + r.nextGaussian() * 15);
                        double ox = (x - 300) / 60.0;
                        double oy = (y - 240) / 40.0;
                        ids[k] = body && ox * ox + oy * oy < 1 ? 1 + (z % 13) : 0;
                    }
                }
            }
            NiftiWriter.write(imageFile, new Volume(hu, g, "int16", "bench"), NiftiDatatype.INT16);
            NiftiWriter.write(labelFile, new LabelVolume(ids, g, "uint8", "bench"), NiftiDatatype.UINT8);
        }
    }
}
