package dev.medseg.job.bench;

import dev.medseg.job.cli.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code bench averaging}: parameter-averaging rounds on a loopback standalone cluster with 1 and 2 workers. */
@Command(name = "averaging", description = "Parameter-averaging rounds of `train` on a loopback Spark standalone cluster "
        + "(1-core workers, one executor each), with 1 and then 2 workers at the same batch per worker: median round, "
        + "compute and communication seconds, communication fraction, the workers' state fetch, "
        + "images/s, scaling efficiency, bytes per round "
        + "and executor peak RSS.")
public final class AveragingCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "transunet", description = "transunet or llm-transunet (default ${DEFAULT-VALUE}).")
    String model;
    @Option(names = "--tiny", description = "The test-size model at 64 px with small JVMs (a smoke run; figures mean nothing).")
    boolean tiny;
    @Option(names = "--size", description = "Image side in pixels (default 256; 64 with --tiny).")
    Integer size;
    @Option(names = "--classes", defaultValue = "9", description = "Output classes (default ${DEFAULT-VALUE}, Synapse).")
    int classes;
    @Option(names = "--batch", defaultValue = "2", description = "Images per step on each worker (default ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--averaging-frequency", defaultValue = "5",
            description = "Steps per worker between averagings (default ${DEFAULT-VALUE}).")
    int averagingFrequency;
    @Option(names = "--rounds", defaultValue = "3", description = "Rounds per run, warm-up included (default ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--warmup", defaultValue = "1", description = "First rounds left out of the medians (default ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--optimizer", defaultValue = "sgd", description = "sgd (momentum, 1 slot) or adam (2 slots) (default ${DEFAULT-VALUE}).")
    String optimizer;
    @Option(names = "--local-optimizer-state", description = "Workers keep their optimizer slots between rounds "
            + "(train.averageOptimizerState=false): rounds move the parameters only; the last round (the final "
            + "checkpoint) brings the slots back.")
    boolean localSlots;
    @Option(names = "--exchange", defaultValue = "peers", description = "train.exchange: peers (the workers fetch each "
            + "other's states and average them; the last round goes to the driver) or driver (the driver averages and "
            + "broadcasts every round) (default ${DEFAULT-VALUE}, as train's).")
    String exchange;
    @Option(names = "--workers", defaultValue = "1,2", split = ",", paramLabel = "N",
            description = "Worker counts, ascending; the first is the scaling base (default ${DEFAULT-VALUE}).")
    List<Integer> workers;
    @Option(names = "--driver-heap-gb", description = "Driver (SparkSubmit JVM) heap: the state, its broadcast pieces, the "
            + "next state and the state pieces being fetched and merged (default 8; 1 with --tiny).")
    Integer driverHeapGb;
    @Option(names = "--executor-heap-gb", description = "Executor heap (spark.executor.memory): the broadcast state "
            + "(its pieces; the value until the graph has loaded it), the worker's float result (cached until the driver has "
            + "gathered its pieces) and Spark's serialized copies of the pieces in flight (default 6; 1 with --tiny).")
    Integer executorHeapGb;
    @Option(names = "--executor-offheap-gb", description = "Executor ND4J off-heap limit (javacpp maxbytes; maxphysicalbytes "
            + "= heap + this + 1): parameters, optimizer slots, activations (default 8; 1 with --tiny).")
    Integer executorOffHeapGb;
    @Option(names = "--timeout-minutes", description = "Kill a train run after this long (default 120; 15 with --tiny).")
    Integer timeoutMinutes;
    @Option(names = "--work-dir", paramLabel = "DIR", description = "Data, logs and run tables (kept; default: a new temp dir).")
    Path workDir;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** The settings these options ask for; usage errors as {@link UserError}. */
    AveragingSettings settings() {
        List<BenchModel> models;
        try {
            models = BenchModel.parseList(model);
        } catch (IllegalArgumentException e) {
            throw new UserError("--model: " + e.getMessage());
        }
        if (models.size() != 1) throw new UserError("--model: one model per run (transunet or llm-transunet), got '" + model + "'");
        try {
            var memory = new AveragingSettings.Memory(orDefault(driverHeapGb, 8, 1), orDefault(executorHeapGb, 6, 1),
                    orDefault(executorOffHeapGb, 8, 1));
            return new AveragingSettings(models.get(0), tiny, orDefault(size, 256, 64), classes, batch, averagingFrequency,
                    rounds, warmup, optimizer, localSlots, exchange, workers, memory, orDefault(timeoutMinutes, 120, 15));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    private int orDefault(Integer given, int full, int tinyValue) {
        return given != null ? given : tiny ? tinyValue : full;
    }

    @Override
    public Integer call() throws IOException {
        AveragingSettings s = settings();
        Path dir = workDir != null ? workDir : Files.createTempDirectory("medseg-bench-averaging");
        Files.createDirectories(dir);
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        try {
            new AveragingBenchmark(s, dir.toAbsolutePath(), l -> {
                out.println(l.toJson());
                out.flush();
            }, m -> {
                err.println(m);
                err.flush();
            }).run();
        } catch (BenchException e) {
            throw new UserError(e.getMessage() + " (work dir " + dir + ")", e);
        }
        err.println("bench averaging: data, logs and run tables kept in " + dir);
        err.flush();
        return 0;
    }
}
