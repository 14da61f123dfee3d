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
                "spark.network.maxRemoteBlockSizeFetchToMem", "1536m", "spark.ui.showConsoleProgress", "false"), d);
        // Spark refuses a fetch-to-memory limit of 2 GB - 512 B or more; one worker's float result of the largest
        // configuration (LLM-TransUNet with Adam, 1.339 GB) must fit under ours.
        long toMem = org.apache.spark.network.util.JavaUtils.byteStringAsBytes(d.get("spark.network.maxRemoteBlockSizeFetchToMem"));
        assertTrue(toMem < Integer.MAX_VALUE - 512 && toMem > 1_339_386_924L, "" + toMem);
    }

    @Test
    void whatTheUserOrSparkSubmitSetIsKept() {
        SparkConf c = new SparkConf(false).set("spark.master", "spark://head:7077")
                .set("spark.broadcast.blockSize", "4m").set("spark.driver.maxResultSize", "4g")
                .set("spark.broadcast.compress", "true").set("spark.network.maxRemoteBlockSizeFetchToMem", "200m");
        assertEquals(Map.of("spark.ui.showConsoleProgress", "false"), CommandSpark.defaults(c));
    }
}
