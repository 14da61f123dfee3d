package dev.medseg.job.tables;

import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Writes and reads the result tables under a run's output directory ({@code <run>/<table>/part-*.parquet}).
 * Paths are Hadoop paths, so a run directory may be local, {@code hdfs://} or {@code s3a://}.
 */
public final class ResultTables {
    private ResultTables() {
    }

    /** The directory of {@code table} under {@code runDir}. */
    public static String dir(String runDir, ResultTable table) {
        return new org.apache.hadoop.fs.Path(runDir, table.dirName()).toString();
    }

    /**
     * Appends {@code records} (all of {@code table}) to the table's directory, creating it if needed. Each call
     * adds Parquet files, so a trainer can append a small batch per round; readers see every batch.
     */
    public static void append(SparkSession spark, String runDir, ResultTable table,
                              List<? extends TableRecord> records) {
        write(spark, runDir, table, records, SaveMode.Append);
    }

    /** Replaces the table's directory with {@code records}. */
    public static void overwrite(SparkSession spark, String runDir, ResultTable table,
                                 List<? extends TableRecord> records) {
        write(spark, runDir, table, records, SaveMode.Overwrite);
    }

    /** Writes a Dataset that has exactly the table's columns (in any order) to the table's directory. */
    public static void write(Dataset<Row> rows, String runDir, ResultTable table, SaveMode mode) {
        requireColumns(rows.schema().fieldNames(), table, "dataset to write", false);
        rows.select(Arrays.stream(table.schema().fieldNames()).map(rows::col).toArray(org.apache.spark.sql.Column[]::new))
                .write().mode(mode).parquet(dir(runDir, table));
    }

    /** The records as a Dataset with the table's schema (comments included). */
    public static Dataset<Row> toDataset(SparkSession spark, ResultTable table, List<? extends TableRecord> records) {
        List<Row> rows = new ArrayList<>(records.size());
        for (TableRecord r : records) {
            if (r.table() != table) {
                throw new IllegalArgumentException("a " + r.table().dirName() + " record cannot go to " + table.dirName());
            }
            rows.add(r.toRow());
        }
        return spark.createDataFrame(rows, table.schema());
    }

    /** Whether {@code runDir} holds {@code table}. */
    public static boolean exists(SparkSession spark, String runDir, ResultTable table) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(dir(runDir, table));
        try {
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            return fs.isDirectory(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + p, e);
        }
    }

    /**
     * Reads {@code table} from every run directory given (the union, as one Dataset with the table's schema);
     * a run whose table lacks a column of the schema is a {@link ResultTableException} naming the run, unless the
     * column came later ({@link ResultTable#addedColumns()}: null in that run's rows).
     */
    public static Dataset<Row> read(SparkSession spark, ResultTable table, List<String> runDirs) {
        if (runDirs.isEmpty()) {
            throw new IllegalArgumentException("no run directory given");
        }
        String[] dirs = runDirs.stream().map(d -> dir(d, table)).toArray(String[]::new);
        for (String d : dirs) {
            requireColumns(spark.read().parquet(d).schema().fieldNames(), table, d, true);
        }
        return spark.read().schema(table.schema()).parquet(dirs);
    }

    /**
     * Registers each result table present in any of {@code runDirs} as a temporary view named after it (the
     * union over the runs that have it). Returns the views registered, with the runs each came from.
     */
    public static Map<ResultTable, List<String>> registerViews(SparkSession spark, List<String> runDirs) {
        Map<ResultTable, List<String>> found = new LinkedHashMap<>();
        for (ResultTable table : ResultTable.values()) {
            List<String> having = runDirs.stream().filter(d -> exists(spark, d, table)).collect(Collectors.toList());
            if (!having.isEmpty()) {
                read(spark, table, having).createOrReplaceTempView(table.dirName());
                found.put(table, having);
            }
        }
        return found;
    }

    private static void write(SparkSession spark, String runDir, ResultTable table,
                              List<? extends TableRecord> records, SaveMode mode) {
        toDataset(spark, table, records).write().mode(mode).parquet(dir(runDir, table));
    }

    /** Refuses a table without all the schema's columns; a stored one ({@code stored}) may lack the added ones. */
    private static void requireColumns(String[] have, ResultTable table, String where, boolean stored) {
        Set<String> present = Set.of(have);
        List<String> missing = Arrays.stream(table.schema().fields()).map(StructField::name)
                .filter(n -> !present.contains(n) && !(stored && table.addedColumns().contains(n)))
                .collect(Collectors.toList());
        if (!missing.isEmpty()) {
            throw new ResultTableException(where + ": not a " + table.dirName() + " table, missing columns " + missing);
        }
    }
}
