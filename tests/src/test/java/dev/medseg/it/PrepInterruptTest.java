package dev.medseg.it;

import dev.medseg.data.slices.SliceSchema;
import dev.medseg.job.cli.UserError;
import dev.medseg.job.train.SliceData;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sha2;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code medseg prep} killed with SIGKILL while its tasks write slice shards (no shutdown hook, no cleanup runs):
 * the output root must not exist, so no reader can take the partial shards for a complete data set; re-running
 * the same command must then succeed and write the same rows and the same manifest as an uninterrupted run.
 * Heavy: two prep JVMs and an in-process run take 30-80 s on a shared 2-core machine (run with -Pheavy).
 */
@Tag("heavy")
class PrepInterruptTest {
    private static final Duration RUN_LIMIT = Duration.ofSeconds(120);

    @TempDir static Path dir;

    @AfterAll
    static void stopSpark() {
        TrainRuns.stopSpark();
    }

    @Test
    void killedPrepLeavesNoOutputAndTheRerunEqualsAnUninterruptedRun() throws Exception {
        String why = ChildJvm.notPackaged();
        assumeTrue(why == null, why);
        // 30 volumes (the paper's split lists 30 cases) of 12 slices: about 2 s of task work, in two tasks
        Path raw = dir.resolve("raw");
        TrainRuns.cli("synth", "--layout", "synapse", "--output", raw.toString(), "--cases", "30", "--depth", "12",
                "--size", "64");
        Path out = dir.resolve("prep out ü"); // the awkward name goes through Hadoop's paths too
        List<String> prep = ChildJvm.java(List.of("-Xmx1g", "-Dspark.master=local[2]"), "dev.medseg.job.cli.Medseg");
        prep.addAll(List.of("prep", "--conf", Repo.root().resolve("conf/datasets/synapse.conf").toString(),
                "--input", raw.toString(), "--output", out.toString(), "prep.imageSize=64"));

        long t0 = System.nanoTime();
        Path log = dir.resolve("killed.log");
        Process p = ChildJvm.start(prep, Map.of(), log);
        Path written;
        try {
            written = firstShardFile(p, Duration.ofSeconds(90)).orElseThrow(() -> new AssertionError(
                    "prep ended (exit " + p.exitValue() + ") before a shard file appeared\n" + ChildJvm.tail(log)));
            p.destroyForcibly(); // SIGKILL
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        } finally {
            ChildJvm.stop(p);
        }
        long killedAt = System.nanoTime();
        assertEquals(137, p.exitValue(), "killed by SIGKILL");
        assertFalse(Files.exists(out), "a killed prep left its output root " + out);
        Path tmp = written.getParent();
        while (!tmp.getParent().equals(dir)) tmp = tmp.getParent();
        assertTrue(tmp.getFileName().toString().startsWith("." + out.getFileName() + ".prep-tmp-"), tmp.toString());
        assertFalse(Files.exists(tmp.resolve("manifest.json")), "the interrupted run wrote its manifest");
        assertFalse(Files.exists(tmp.resolve("slices/_SUCCESS")), "the kill came after the shards were committed");

        // The readers refuse both the missing root and the hidden leftovers.
        SparkSession spark = TrainRuns.spark();
        var missing = assertThrows(UserError.class, () -> SliceData.table(spark, out.toString()));
        assertTrue(missing.getMessage().contains(out.toString()) && missing.getMessage().contains("no such directory"),
                missing.getMessage());
        Path leftovers = tmp;
        var partial = assertThrows(UserError.class, () -> SliceData.table(spark, leftovers.toString()));
        assertTrue(partial.getMessage().contains("no slice shards"), partial.getMessage());

        // The same command again completes; an uninterrupted run elsewhere gives the same rows and manifest.
        long rerunStart = System.nanoTime();
        int rerun = ChildJvm.run(prep, Map.of(), dir.resolve("rerun.log"), RUN_LIMIT);
        assertEquals(0, rerun, ChildJvm.tail(dir.resolve("rerun.log")));
        assertTrue(Files.readString(dir.resolve("rerun.log")).contains("is left over from an interrupted prep"),
                "the rerun did not name the killed run's temporary directory\n" + ChildJvm.tail(dir.resolve("rerun.log")));
        long rerunEnd = System.nanoTime();
        Path fresh = dir.resolve("fresh");
        TrainRuns.cli("prep", "--conf", Repo.root().resolve("conf/datasets/synapse.conf").toString(), "--input",
                raw.toString(), "--output", fresh.toString(), "prep.imageSize=64");
        assertEquals(Files.readString(fresh.resolve("manifest.json")), Files.readString(out.resolve("manifest.json")));
        List<String> expected = rowDigests(spark, fresh);
        assertEquals(30 * 12, expected.size());
        assertEquals(expected, rowDigests(spark, out));
        System.out.printf("prep interrupt: killed %.1f s after start (first shard file %s), rerun took %.1f s%n",
                (killedAt - t0) / 1e9, dir.relativize(written), (rerunEnd - rerunStart) / 1e9);
    }

    /** Every slice row as text, its pixel columns as SHA-256, in (dataset, split, case, slice) order. */
    private static List<String> rowDigests(SparkSession spark, Path root) {
        List<String> out = new ArrayList<>();
        for (Row r : SliceData.table(spark, root.toString())
                .select(col(SliceSchema.DATASET), col(SliceSchema.SPLIT), col(SliceSchema.CASE_ID),
                        col(SliceSchema.SLICE_INDEX), col(SliceSchema.NUM_SLICES), col(SliceSchema.CHANNELS),
                        col(SliceSchema.HEIGHT), col(SliceSchema.WIDTH), sha2(col(SliceSchema.IMAGE), 256),
                        sha2(col(SliceSchema.LABEL), 256), sha2(col(SliceSchema.LABEL_NATIVE), 256),
                        col(SliceSchema.SPACING), col(SliceSchema.PREP_VERSION))
                .orderBy(SliceSchema.DATASET, SliceSchema.SPLIT, SliceSchema.CASE_ID, SliceSchema.SLICE_INDEX)
                .collectAsList()) {
            out.add(r.mkString("|"));
        }
        return out;
    }

    /**
     * Waits for the first Parquet data file under a temporary sibling of the output (where prep's tasks write),
     * polling while the process lives; empty if it ended first.
     */
    private static Optional<Path> firstShardFile(Process p, Duration limit) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (p.isAlive() && System.nanoTime() < end) {
            try (Stream<Path> files = Files.walk(dir)) {
                Optional<Path> f = files.filter(x -> x.toString().contains(".prep-tmp-")
                        && x.getFileName().toString().startsWith("part-") && Files.isRegularFile(x)).findFirst();
                if (f.isPresent()) return f;
            } catch (IOException | UncheckedIOException e) {
                // a task's attempt folder vanished while we listed it: look again
            }
            Thread.sleep(5);
        }
        if (p.isAlive()) throw new AssertionError("no shard file within " + limit);
        return Optional.empty();
    }
}
