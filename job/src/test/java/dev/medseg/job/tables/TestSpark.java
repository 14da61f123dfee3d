package dev.medseg.job.tables;

import org.apache.spark.sql.SparkSession;

/** The small local Spark session each Spark test class starts once (2 threads, no UI, few shuffle partitions). */
public final class TestSpark {
    private TestSpark() {
    }

    /** A new local[2] session; the caller stops it after its tests. */
    public static SparkSession start(String name) {
        return SparkSession.builder().master("local[2]").appName(name)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.ui.showConsoleProgress", "false")
                .getOrCreate();
    }
}
