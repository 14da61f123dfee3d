package dev.medseg.job.tables;

import org.apache.spark.sql.SparkSession;

/**
 * The small local Spark session of the Spark test classes (2 threads, no UI, few shuffle partitions). It is
 * shared by every class of the test JVM and stopped by Spark's shutdown hook: starting one costs seconds.
 */
public final class TestSpark {
    private TestSpark() {
    }

    /** The shared local[2] session (a failed task is retried once), started on first use. */
    public static synchronized SparkSession session() {
        return SparkSession.builder().master("local[2,2]").appName("medseg job tests")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.ui.showConsoleProgress", "false")
                // tiny tables: compiling generated code costs more than it saves
                .config("spark.sql.codegen.wholeStage", "false")
                .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
                .getOrCreate();
    }
}
