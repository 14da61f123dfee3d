package dev.medseg.job.tables;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The paper's summary tables, computed with Spark SQL from a {@code case_metrics} Dataset.
 *
 * <ul>
 *   <li>Table 1 (2-D datasets): per run and dataset, mean IoU and Dice in %.</li>
 *   <li>Table 2 (3-D datasets): per run and dataset, mean Dice in %, mean HD95 in voxels (TransUNet's unit) and
 *       in mm, then the Dice in % of every class.</li>
 * </ul>
 * A (run, dataset) with one scored class goes to Table 1 (the binary lesion datasets), one with several classes
 * to Table 2 (Synapse, ACDC). Means follow TransUNet: per class, the mean over cases; then the mean over classes.
 * NaN values (nnU-Net's rule for empty masks) are skipped, as nnU-Net's nanmean does; cases with a
 * {@code problem} are not scored and are counted in {@code problem_cases} instead, so they are never hidden.
 */
public final class Summaries {
    /** The file stems (CSV and markdown) and titles of the two tables. */
    public static final String TABLE1 = "summary_table1";
    /** See {@link #TABLE1}. */
    public static final String TABLE2 = "summary_table2";

    private static final String VIEW = "medseg_summary_case_metrics";

    private Summaries() {
    }

    /** One computed summary table. */
    public record Summary(String name, String title, TextTable table) {
    }

    /** Per run, dataset and class: scored cases and the mean Dice, IoU, HD95 (voxel, mm), NaN skipped. */
    public static Dataset<Row> perClass(Dataset<Row> caseMetrics) {
        register(caseMetrics);
        return caseMetrics.sparkSession().sql(PER_CLASS + "SELECT * FROM per_class ORDER BY run_id, dataset, class_id");
    }

    /** Table 1: run_id, dataset, cases, problem_cases, iou_pct, dice_pct for single-class datasets. */
    public static Dataset<Row> table1(Dataset<Row> caseMetrics) {
        register(caseMetrics);
        return caseMetrics.sparkSession().sql(PER_CLASS + """
                SELECT c.run_id, c.dataset, c.cases, c.problem_cases,
                       100 * avg(p.iou) AS iou_pct, 100 * avg(p.dice) AS dice_pct
                FROM cases c LEFT JOIN per_class p ON p.run_id = c.run_id AND p.dataset = c.dataset
                WHERE c.classes = 1
                GROUP BY c.run_id, c.dataset, c.cases, c.problem_cases
                ORDER BY c.dataset, c.run_id""");
    }

    /**
     * Table 2: run_id, dataset, cases, problem_cases, dice_pct, hd95_voxel, hd95_mm, then one column per class
     * name (Dice in %, null where a dataset lacks the class) for multi-class datasets.
     */
    public static Dataset<Row> table2(Dataset<Row> caseMetrics) {
        SparkSession spark = caseMetrics.sparkSession();
        register(caseMetrics);
        List<Row> names = spark.sql(PER_CLASS + """
                SELECT p.class_key, min(p.class_id) AS first_id FROM per_class p
                JOIN cases c ON p.run_id = c.run_id AND p.dataset = c.dataset
                WHERE c.classes > 1 GROUP BY p.class_key ORDER BY first_id, p.class_key""").collectAsList();
        StringBuilder perClassColumns = new StringBuilder();
        for (Row r : names) {
            String key = r.getString(0);
            perClassColumns.append(",\n       100 * max(CASE WHEN p.class_key = '").append(key.replace("'", "''"))
                    .append("' THEN p.dice END) AS `").append(key.replace("`", "``")).append('`');
        }
        return spark.sql(PER_CLASS + """
                SELECT c.run_id, c.dataset, c.cases, c.problem_cases,
                       100 * avg(p.dice) AS dice_pct, avg(p.hd95_voxel) AS hd95_voxel, avg(p.hd95_mm) AS hd95_mm"""
                + perClassColumns + """

                FROM cases c LEFT JOIN per_class p ON p.run_id = c.run_id AND p.dataset = c.dataset
                WHERE c.classes > 1
                GROUP BY c.run_id, c.dataset, c.cases, c.problem_cases
                ORDER BY c.dataset, c.run_id""");
    }

    /** Both tables, collected; a table with no row is left out. */
    public static List<Summary> compute(Dataset<Row> caseMetrics) {
        List<Summary> out = new ArrayList<>();
        TextTable t1 = TextTable.collect(table1(caseMetrics));
        if (!t1.rows().isEmpty()) {
            out.add(new Summary(TABLE1, "Table 1: 2-D datasets, mean IoU and Dice (%)", t1));
        }
        TextTable t2 = TextTable.collect(table2(caseMetrics));
        if (!t2.rows().isEmpty()) {
            out.add(new Summary(TABLE2, "Table 2: 3-D datasets, mean Dice (%), mean HD95 (voxels, mm), Dice per class (%)", t2));
        }
        return out;
    }

    /** Prints each summary: its title, then the aligned table. */
    public static void print(List<Summary> summaries, PrintWriter out) {
        for (Summary s : summaries) {
            out.println(s.title());
            out.print(s.table().render(TextTable.Format.TEXT));
            out.println();
        }
        out.flush();
    }

    /** Writes {@code <name>.csv} and {@code <name>.md} of each summary into {@code dir} (a Hadoop path). */
    public static void write(SparkSession spark, List<Summary> summaries, String dir) {
        for (Summary s : summaries) {
            writeText(spark, new Path(dir, s.name() + ".csv"), s.table().render(TextTable.Format.CSV));
            writeText(spark, new Path(dir, s.name() + ".md"),
                    "### " + s.title() + "\n\n" + s.table().render(TextTable.Format.MARKDOWN));
        }
    }

    private static void writeText(SparkSession spark, Path path, String text) {
        try {
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            try (FSDataOutputStream out = fs.create(path, true)) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    private static void register(Dataset<Row> caseMetrics) {
        caseMetrics.createOrReplaceTempView(VIEW);
    }

    // NaN (undefined under nnU-Net's rule) becomes NULL so that avg skips it, as nanmean does
    private static final String PER_CLASS = """
            WITH scored AS (
              SELECT run_id, dataset, case_id, class_id,
                     coalesce(class_name, concat('class_', CAST(class_id AS STRING))) AS class_key,
                     CASE WHEN isnan(dice) THEN NULL ELSE dice END AS dice,
                     CASE WHEN isnan(iou) THEN NULL ELSE iou END AS iou,
                     CASE WHEN isnan(hd95_voxel) THEN NULL ELSE hd95_voxel END AS hd95_voxel,
                     CASE WHEN isnan(hd95_mm) THEN NULL ELSE hd95_mm END AS hd95_mm
              FROM %1$s WHERE problem IS NULL),
            per_class AS (
              SELECT run_id, dataset, class_id, first(class_key) AS class_key, count(DISTINCT case_id) AS cases,
                     avg(dice) AS dice, avg(iou) AS iou, avg(hd95_voxel) AS hd95_voxel, avg(hd95_mm) AS hd95_mm
              FROM scored GROUP BY run_id, dataset, class_id),
            cases AS (
              SELECT run_id, dataset,
                     count(DISTINCT CASE WHEN problem IS NULL THEN case_id END) AS cases,
                     count(DISTINCT CASE WHEN problem IS NOT NULL THEN case_id END) AS problem_cases,
                     count(DISTINCT class_id) AS classes
              FROM %1$s GROUP BY run_id, dataset)
            """.formatted(VIEW);
}
