package dev.medseg.job.eval;

import dev.medseg.job.tables.CaseMetricRecord;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Scores a folder of predicted masks against a folder of reference masks, as nnU-Net's evaluate-folder does:
 * files are matched by case id (file name without {@code .nii.gz}/{@code .nii}/{@code .png}), each case is
 * scored on its whole volume (NIfTI) or image (PNG). Cases are spread over Spark tasks; the folders must be
 * readable at the same path from every executor (true in local mode).
 */
public final class FolderScoring {
    private FolderScoring() {
    }

    /**
     * The case pairs of two folders, sorted by case id: every reference case, plus every prediction without
     * a reference (reported as a problem rather than silently ignored). Files with other extensions are ignored.
     */
    public static List<CasePair> pair(Path referenceDir, Path predictionDir) {
        Map<String, List<String>> refs = list(referenceDir);
        Map<String, List<String>> preds = list(predictionDir);
        TreeSet<String> ids = new TreeSet<>(refs.keySet());
        ids.addAll(preds.keySet());
        List<CasePair> pairs = new ArrayList<>(ids.size());
        for (String id : ids) {
            pairs.add(new CasePair(id, refs.getOrDefault(id, List.of()), preds.getOrDefault(id, List.of())));
        }
        return pairs;
    }

    /** Scores {@code pairs} on Spark into a Dataset with the {@code case_metrics} schema (lazy: nothing runs yet). */
    public static Dataset<Row> score(SparkSession spark, List<CasePair> pairs, ScoreOptions options) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // one task per case up to a few per core: cases differ a lot in size, small tasks balance better
        int slices = Math.max(1, Math.min(pairs.size(), 4 * jsc.defaultParallelism()));
        JavaRDD<Row> rows = jsc.parallelize(pairs, slices).flatMap(new CaseScoring(options));
        return spark.createDataFrame(rows, CaseMetricRecord.SCHEMA);
    }

    private static Map<String, List<String>> list(Path dir) {
        Map<String, List<String>> byCase = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(Files::isRegularFile).sorted().forEach(f -> {
                String id = LabelMap.caseId(f.getFileName().toString());
                if (id != null) {
                    byCase.computeIfAbsent(id, k -> new ArrayList<>()).add(f.toAbsolutePath().toString());
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        return byCase;
    }
}
