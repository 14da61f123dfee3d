package dev.medseg.job.eval;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark session of a command: the one already running in this JVM (a test, or spark-submit's), else a new
 * one on {@code spark.master} if set (e.g. {@code -Dspark.master=spark://...}), else {@code local[*]}.
 * Closing stops the session only if this object created it.
 *
 * @param spark the session
 * @param owned whether {@link #close} stops it
 */
public record CommandSpark(SparkSession spark, boolean owned) implements AutoCloseable {

    /** The session for command {@code name}. */
    public static CommandSpark start(String name) {
        var existing = SparkSession.getActiveSession();
        if (existing.isDefined()) {
            return new CommandSpark(existing.get(), false);
        }
        var fallback = SparkSession.getDefaultSession();
        if (fallback.isDefined()) {
            return new CommandSpark(fallback.get(), false);
        }
        SparkConf conf = new SparkConf();
        SparkSession.Builder b = SparkSession.builder().appName("medseg " + name)
                .config("spark.ui.showConsoleProgress", "false");
        if (!conf.contains("spark.master")) {
            b = b.master("local[*]");
        }
        if (!conf.contains("spark.driver.maxResultSize")) {
            // Training returns each worker's trainable state to the driver (TransUNet with momentum: ~1.7 GB in
            // the double-precision sums); Spark's 1 GB default would abort full-size runs.
            b = b.config("spark.driver.maxResultSize", "16g");
        }
        return new CommandSpark(b.getOrCreate(), true);
    }

    @Override
    public void close() {
        if (owned) {
            spark.stop();
        }
    }
}
