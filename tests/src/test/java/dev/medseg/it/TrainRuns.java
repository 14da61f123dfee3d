package dev.medseg.it;

import dev.medseg.job.cli.Medseg;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.TrainRound;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.io.TensorSources;
import dev.medseg.model.train.ModelCheckpoint;
import org.apache.spark.sql.SparkSession;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the end-to-end train tests share: a small prepared data set, the {@code submit/local.sh} command line, the
 * run tables, and the bit-for-bit comparison of two runs' checkpoints.
 */
final class TrainRuns {
    private static SparkSession reader;

    private TrainRuns() {}

    /**
     * A generated ISIC 2017 tree of {@code cases} 32x32 cases, prepared by the real {@code prep} (in this JVM):
     * returns the slice-shard folder {@code dir/prep}.
     */
    static Path prepareIsic(Path dir, int cases) {
        Path raw = dir.resolve("isic");
        Path data = dir.resolve("prep");
        cli("synth", "--layout", "isic2017", "--output", raw.toString(), "--cases", Integer.toString(cases), "--size", "32");
        cli("prep", "--conf", conf().toString(), "--input", raw.toString(), "--output", data.toString(), "prep.imageSize=32");
        return data;
    }

    /** The dataset config the tests train with. */
    static Path conf() {
        return Repo.root().resolve("conf/datasets/isic2017.conf");
    }

    /** {@code train --conf CONF --data DATA --output RUN RECIPE...}. */
    static List<String> trainArgs(Path data, Path run, List<String> recipe) {
        List<String> args = new ArrayList<>(List.of("train", "--conf", conf().toString(), "--data", data.toString(),
                "--output", run.toString()));
        args.addAll(recipe);
        return args;
    }

    /**
     * Starts {@code submit/local.sh ARGS} (Spark local mode, 2 task slots) with ND4J limited to
     * {@code ompThreads} threads, output to {@code log}.
     */
    static Process startLocal(List<String> medsegArgs, int ompThreads, Path log) {
        List<String> cmd = new ArrayList<>(List.of("bash", Repo.root().resolve("submit/local.sh").toString()));
        cmd.addAll(medsegArgs);
        Map<String, String> env = Map.of("MEDSEG_LOCAL_THREADS", "2", "MEDSEG_DRIVER_HEAP_GB", "1",
                "MEDSEG_DRIVER_OFFHEAP_GB", "2", "OMP_NUM_THREADS", Integer.toString(ompThreads),
                "SPARK_LOCAL_IP", "127.0.0.1",
                "MEDSEG_SPARK_CONF", "spark.network.timeout=600s spark.executor.heartbeatInterval=20s");
        return ChildJvm.start(cmd, env, log);
    }

    /** Runs {@code medseg ARGS} in this JVM (synth, prep: no training), failing with its error output. */
    static void cli(String... args) {
        var cl = Medseg.commandLine();
        var err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        assertEquals(0, cl.execute(args), args[0] + " failed: " + err);
    }

    /** The run's train_rounds rows, by round. */
    static List<TrainRound> rounds(Path run) {
        return ResultTables.read(spark(), ResultTable.TRAIN_ROUNDS, List.of(run.toString())).orderBy("round")
                .collectAsList().stream().map(TrainRound::fromRow).toList();
    }

    /** A local[1] session of this JVM that only reads result tables. */
    static synchronized SparkSession spark() {
        if (reader == null) {
            reader = SparkSession.builder().master("local[1]").appName("read run tables")
                    .config("spark.ui.enabled", "false").getOrCreate();
        }
        return reader;
    }

    /** Stops {@link #spark()}'s session if one was made. */
    static synchronized void stopSpark() {
        if (reader != null) reader.stop();
        reader = null;
    }

    /**
     * Asserts two checkpoints hold the same step and the same tensors (parameters, optimizer slots, BatchNorm
     * buffers) byte for byte; the message names the differing tensors and the largest difference.
     */
    static void assertSameCheckpoint(Path expected, Path actual) {
        assertEquals(ModelCheckpoint.metadata(expected).get(ModelCheckpoint.STEP_KEY),
                ModelCheckpoint.metadata(actual).get(ModelCheckpoint.STEP_KEY), "step of " + actual);
        try (TensorSource x = TensorSources.open(expected); TensorSource y = TensorSources.open(actual)) {
            assertEquals(x.names(), y.names());
            assertTrue(x.names().size() > 100, "too few tensors: " + x.names().size());
            List<String> differ = x.names().stream().filter(n -> !Arrays.equals(x.readRaw(n), y.readRaw(n))).toList();
            assertTrue(differ.isEmpty(), actual + " differs from " + expected + " in " + differ.size() + " of "
                    + x.names().size() + " tensors (max |diff| " + maxDifference(x, y, differ) + "), e.g. "
                    + differ.stream().limit(5).toList());
        }
    }

    /** The largest absolute difference between two checkpoints over all tensors (0 when bit-equal). */
    static double maxDifference(Path a, Path b) {
        try (TensorSource x = TensorSources.open(a); TensorSource y = TensorSources.open(b)) {
            return maxDifference(x, y, x.names());
        }
    }

    private static double maxDifference(TensorSource x, TensorSource y, List<String> names) {
        double max = 0;
        for (String n : names) {
            if (!x.info(n).map(i -> i.dtype().isFloating()).orElse(false)) continue;
            float[] u = x.readFloat(n), v = y.readFloat(n);
            for (int i = 0; i < Math.min(u.length, v.length); i++) max = Math.max(max, Math.abs((double) u[i] - v[i]));
        }
        return max;
    }
}
