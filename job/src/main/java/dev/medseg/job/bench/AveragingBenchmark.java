package dev.medseg.job.bench;

import dev.medseg.job.cli.Medseg;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.TrainRound;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code bench averaging}: parameter-averaging rounds of {@code train} on a loopback Spark standalone cluster, once
 * per worker count (default 1 and 2 workers, the same batch per worker), read back from the run's
 * {@code train_rounds} table: round, compute and communication seconds, the communication fraction, images/s, the
 * scaling efficiency, the bytes a round moves and the executors' peak resident memory.
 *
 * <p>Work dir layout: {@code raw/} and {@code data-<size>/} (Synapse-like synthetic volumes and their slice shards,
 * made once), and per worker count {@code w<N>/cluster/} (daemon, driver and executor logs) and {@code w<N>/run/} (the
 * run's tables; its checkpoints are deleted once their sizes are read).
 */
public final class AveragingBenchmark {
    /** Synthetic Synapse volumes: 30 cases (18 train), 2 slices each: 36 training slices. */
    static final int CASES = 30, DEPTH = 2, RAW_SIZE = 64;

    private final AveragingSettings settings;
    private final Path work;
    private final Consumer<BenchLine> out;
    private final Consumer<String> log;

    /** A benchmark of {@code settings} working in {@code work}; figures go to {@code out}, progress to {@code log}. */
    public AveragingBenchmark(AveragingSettings settings, Path work, Consumer<BenchLine> out, Consumer<String> log) {
        this.settings = settings;
        this.work = work;
        this.out = out;
        this.log = log;
    }

    /** What one worker count measured. */
    record Run(int workers, List<TrainRound> rounds, RoundFigures figures, TrainStateSize size,
               Map<Long, Long> executorPeaks, long driverPeak) {}

    /** Runs every worker count and prints the figures; returns them. */
    public List<BenchLine> run() {
        PackagedBuild build = PackagedBuild.locate();
        List<BenchLine> lines = new ArrayList<>();
        Consumer<BenchLine> emit = l -> {
            lines.add(l);
            out.accept(l);
        };
        boolean ownSpark = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
        SparkSession spark = SparkSession.builder().master("local[1]").appName("medseg bench averaging")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").getOrCreate();
        try {
            Path data = prepareData();
            List<Run> runs = new ArrayList<>();
            for (int n : settings.workers()) {
                Run r = runCluster(build, spark, data, n);
                runs.add(r);
                log.accept("bench averaging: " + r.figures());
                emitRun(r, runs.get(0), emit);
            }
            TrainStateSize size = settings.exchanged(runs.get(0).size());
            Map<String, Object> c = settings.config();
            c.put("params", size.params());
            c.put("optimizer_slots", size.slots());
            c.put("buffers", size.buffers());
            c.put("merged_bytes_per_sum", size.resultBytes());
            c.put("note", "per executor per round; a one-worker sum travels as float (these bytes), merged sums "
                    + "as double (merged_bytes_per_sum)");
            emit.accept(new BenchLine(prefix() + "broadcast_bytes", size.broadcastBytes(), "bytes", c));
        } finally {
            if (ownSpark) spark.stop();
        }
        return lines;
    }

    /** {@code averaging.<model>.} */
    String prefix() {
        return "averaging." + settings.model().id() + ".";
    }

    /**
     * Generates the synthetic volumes and prepares them at the model's size with the real synth and prep commands;
     * shards of an earlier run at the same size in this work dir are reused.
     */
    Path prepareData() {
        Path raw = work.resolve("raw"), data = work.resolve("data-" + settings.size());
        if (Files.isDirectory(data.resolve("slices"))) {
            log.accept("bench averaging: reusing the slice shards in " + data);
            return data;
        }
        deleteTree(raw); // left by an interrupted run: synth wants an empty folder
        deleteTree(data);
        log.accept("bench averaging: generating " + CASES + " Synapse-like volumes and preparing them at " + settings.size() + " px");
        cli("synth", "--layout", "synapse", "--output", raw.toString(), "--cases", "" + CASES, "--size", "" + RAW_SIZE,
                "--depth", "" + DEPTH);
        cli("prep", "--input", raw.toString(), "--output", data.toString(), "prep.dataset=synapse",
                "prep.intensity=\"ct-window(-125,275)\"", "prep.channels=1", "prep.imageSize=" + settings.size());
        return data;
    }

    private Run runCluster(PackagedBuild build, SparkSession spark, Path data, int workers) {
        Path dir = work.resolve("w" + workers), run = dir.resolve("run");
        deleteTree(run);
        log.accept("bench averaging: " + workers + " worker(s): starting the loopback cluster in " + dir.resolve("cluster"));
        try (StandaloneCluster cluster = StandaloneCluster.start(dir.resolve("cluster"), build, workers, settings.memory())) {
            cluster.awaitWorkers();
            List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--output", run.toString()));
            args.addAll(settings.trainOverrides(workers));
            Path submitLog = cluster.logs().resolve("train.log");
            log.accept("bench averaging: " + workers + " worker(s): training " + settings.rounds() + " rounds of "
                    + settings.averagingFrequency() + " steps; log " + submitLog);
            int code = cluster.submit(args, submitLog, Duration.ofMinutes(settings.timeoutMinutes()));
            if (code != 0) {
                throw new BenchException("the train run with " + workers + " worker(s) exited with " + code + "; see "
                        + submitLog + " and the executor logs under " + dir.resolve("cluster") + "\n" + tail(submitLog));
            }
            List<TrainRound> rounds = ResultTables.read(spark, ResultTable.TRAIN_ROUNDS, List.of(run.toString()))
                    .collectAsList().stream().map(TrainRound::fromRow).sorted(Comparator.comparingInt(TrainRound::round)).toList();
            if (rounds.size() != settings.rounds() || rounds.stream().anyMatch(r -> r.workers() != workers)) {
                throw new BenchException(run + ": expected " + settings.rounds() + " rounds of " + workers
                        + " worker(s) in train_rounds, got " + rounds);
            }
            Path checkpoints = run.resolve("checkpoints");
            TrainStateSize size = TrainStateSize.ofCheckpoint(checkpoints.resolve("final.safetensors"));
            deleteTree(checkpoints); // synthetic-data weights, up to GBs each
            return new Run(workers, rounds, RoundFigures.of(rounds, settings.warmup()), size,
                    cluster.executorPeakResidentBytes(), cluster.driverPeakResidentBytes());
        }
    }

    /** The figures of one worker count; the scaling efficiency relative to {@code base} unless it is the base. */
    void emitRun(Run r, Run base, Consumer<BenchLine> emit) {
        String p = prefix() + "workers_" + r.workers() + ".";
        Map<String, Object> c = settings.config();
        c.put("workers", r.workers());
        c.put("timed_rounds", r.figures().timedRounds());
        c.put("load_after", ProcStats.loadAverage().asList());
        emit.accept(line(p + "round_seconds", r.figures().roundSeconds(), "s", c, "round_seconds",
                RoundFigures.values(r.rounds(), settings.warmup(), x -> x.computeSeconds() + x.communicationSeconds())));
        emit.accept(line(p + "compute_seconds", r.figures().computeSeconds(), "s", c, "compute_seconds",
                RoundFigures.values(r.rounds(), settings.warmup(), TrainRound::computeSeconds)));
        emit.accept(line(p + "communication_seconds", r.figures().communicationSeconds(), "s", c, "communication_seconds",
                RoundFigures.values(r.rounds(), settings.warmup(), TrainRound::communicationSeconds)));
        emit.accept(line(p + "communication_fraction", r.figures().communicationFraction(), "fraction", c, null, null));
        if (!Double.isNaN(r.figures().stateFetchSeconds())) { // a worker's wait for its state, outside compute
            emit.accept(line(p + "state_fetch_seconds", r.figures().stateFetchSeconds(), "s", c, "state_fetch_seconds",
                    RoundFigures.values(r.rounds(), settings.warmup(), TrainRound::stateFetchSeconds)));
        }
        emit.accept(line(p + "images_per_second", r.figures().imagesPerSecond(), "images/s", c, "images_per_second",
                RoundFigures.values(r.rounds(), settings.warmup(), TrainRound::imagesPerSecond)));
        RoundTraffic traffic = new RoundTraffic(settings.exchanged(r.size()), r.workers());
        Map<String, Object> t = new LinkedHashMap<>(c);
        t.putAll(traffic.config());
        t.put("broadcast_bytes", traffic.broadcastBytes());
        if (settings.exchange().equals("peers")) {
            t.put("driver_bytes_per_round", traffic.totalBytes());
            t.put("note", "rounds among the workers; the last round (and the first's broadcast) go through the driver: "
                    + "driver_bytes_per_round");
        }
        emit.accept(new BenchLine(p + "bytes_per_round", settings.exchange().equals("peers") ? traffic.peerExchangeBytes()
                : traffic.totalBytes(), "bytes", t));
        if (!r.executorPeaks().isEmpty()) {
            Map<String, Object> m = new LinkedHashMap<>(c);
            m.put("executors", r.executorPeaks().size());
            m.put("per_executor_bytes", r.executorPeaks().values().stream().sorted().toList());
            m.put("driver_peak_rss_bytes", r.driverPeak());
            m.put("source", "/proc/PID/status VmHWM, sampled every 0.5 s");
            emit.accept(new BenchLine(p + "executor_peak_rss", r.executorPeaks().values().stream().mapToLong(Long::longValue)
                    .max().orElseThrow(), "bytes", m));
        } else {
            log.accept("bench averaging: no executor JVM was seen in /proc; no peak RSS figure");
        }
        if (r != base) {
            Map<String, Object> e = new LinkedHashMap<>(c);
            e.put("base_workers", base.workers());
            e.put("base_images_per_second", BenchLine.round(base.figures().imagesPerSecond()));
            e.put("images_per_second", BenchLine.round(r.figures().imagesPerSecond()));
            e.put("definition", "images/s with N workers / (N / base workers x images/s with the base)");
            // The part of the efficiency the exchange cannot touch: how much slower each worker's steps ran beside the
            // others (shared caches and memory bandwidth) than with the base's worker count.
            e.put("compute_seconds_ratio", BenchLine.round(r.figures().computeSeconds() / base.figures().computeSeconds()));
            emit.accept(new BenchLine(p + "scaling_efficiency", RoundFigures.scalingEfficiency(base.figures(), r.figures()),
                    "ratio", e));
        }
    }

    private static BenchLine line(String name, double value, String unit, Map<String, Object> config, String key, double[] values) {
        Map<String, Object> m = new LinkedHashMap<>(config);
        if (key != null) m.put(key, values);
        return new BenchLine(name, value, unit, m);
    }

    /** Runs a medseg command in this JVM; its output goes to the log, a failure is a {@link BenchException}. */
    private void cli(String... args) {
        var cl = Medseg.commandLine();
        StringWriter text = new StringWriter();
        cl.setOut(new PrintWriter(text, true));
        cl.setErr(new PrintWriter(text, true));
        int code = cl.execute(args);
        text.toString().lines().filter(l -> !l.isBlank()).forEach(l -> log.accept("  " + l));
        if (code != 0) throw new BenchException("medseg " + args[0] + " exited with " + code + ": " + BenchLine.abbreviate(text.toString()));
    }

    /** The last lines of a log, for error messages. */
    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.startsWith("\tat ")).toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 25), lines.size()));
        } catch (IOException | java.io.UncheckedIOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (IOException e) {
            throw new BenchException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
