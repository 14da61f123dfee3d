package dev.medseg.job.eval;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class CommandSparkTest {
    @Test
    void aNewSessionGetsLocalMasterLargeResultsAndLargeBroadcastPieces() {
        Map<String, String> d = CommandSpark.defaults(new SparkConf(false));
        assertEquals(Map.of("spark.master", "local[*]", "spark.driver.maxResultSize", "16g",
                "spark.broadcast.blockSize", "32m", "spark.broadcast.compress", "false",
                "spark.broadcast.checksum", "false", "spark.ui.showConsoleProgress", "false"), d);
        // An executor whose direct memory is below this limit refuses to start (a 1 GB executor did), so it is not ours
        // to raise.
        assertFalse(d.containsKey("spark.network.maxRemoteBlockSizeFetchToMem"));
    }

    @Test
    void whatTheUserOrSparkSubmitSetIsKept() {
        SparkConf c = new SparkConf(false).set("spark.master", "spark://head:7077")
                .set("spark.broadcast.blockSize", "4m").set("spark.driver.maxResultSize", "4g")
                .set("spark.broadcast.compress", "true").set("spark.broadcast.checksum", "true");
        assertEquals(Map.of("spark.ui.showConsoleProgress", "false"), CommandSpark.defaults(c));
    }
}
