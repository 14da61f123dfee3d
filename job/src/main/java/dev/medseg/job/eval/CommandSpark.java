package dev.medseg.job.eval;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Spark session of a command: the one already running in this JVM (a test, or spark-submit's), else a new
 * one on {@code spark.master} if set (e.g. {@code -Dspark.master=spark://...}), else {@code local[*]}.
 * Closing stops the session only if this object created it.
 *
 * @param spark the session
 * @param owned whether {@link #close} stops it
 */
public record CommandSpark(SparkSession spark, boolean owned) implements AutoCloseable {

    /**
     * The settings a command's session gets where {@code conf} (spark-submit's, or the JVM's spark.* properties)
     * has none: a local master, room for training's task results, larger and uncompressed broadcast pieces, no
     * console progress bar.
     */
    static Map<String, String> defaults(SparkConf conf) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("spark.master", "local[*]");
        // Training returns each worker's trainable state to the driver (TransUNet with momentum: 0.84 GB per worker,
        // merged sums twice that); Spark's 1 GB default would abort full-size runs.
        d.put("spark.driver.maxResultSize", "16g");
        // Training broadcasts its whole state every round. An executor fetches a broadcast piece by piece, one
        // request and one registration with the driver each: ~200 of Spark's 4 MiB pieces for TransUNet with
        // momentum against 26 of these (a loopback round's broadcast fetch 2.1-3.3 s -> 1.3 s).
        d.put("spark.broadcast.blockSize", "32m");
        // fp32 weights do not compress (lz4 saved < 5% of the tiny model's state), but compressing costs the driver
        // ~0.5 s per GB every round and each executor as much to decompress.
        d.put("spark.broadcast.compress", "false");
        // Spark's Adler32 of every broadcast piece (zlib, ~2 GB/s) runs over the whole state on the driver and again
        // on every executor, each round: 5% of the CPU of a loopback round's exchange. TCP checksums every packet.
        d.put("spark.broadcast.checksum", "false");
        // Not raised here: spark.network.maxRemoteBlockSizeFetchToMem (results > 200m reach the driver through a
        // temporary file). Spark refuses to start an executor whose Netty direct memory (by default its heap) is
        // below it, so a larger default would kill every small executor.
        d.put("spark.ui.showConsoleProgress", "false");
        d.keySet().removeIf(conf::contains);
        return d;
    }

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
        SparkSession.Builder b = SparkSession.builder().appName("medseg " + name);
        for (var e : defaults(new SparkConf()).entrySet()) b = b.config(e.getKey(), e.getValue());
        return new CommandSpark(b.getOrCreate(), true);
    }

    @Override
    public void close() {
        if (owned) {
            spark.stop();
        }
    }
}
