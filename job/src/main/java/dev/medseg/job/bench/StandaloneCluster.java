package dev.medseg.job.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A Spark standalone cluster on 127.0.0.1 made of child JVMs — one Master and {@code workers} Workers with one core
 * each — and {@code SparkSubmit} runs of {@code medseg} on it in client mode, one 1-core executor per worker. The
 * classes come from the packaged build's lib/, so no Spark install is needed: an empty SPARK_HOME with jars/ plus
 * {@code spark.executor.extraClassPath} stands in for one (the Worker builds executor command lines from it).
 *
 * <p>While a submitted run lasts, the executors' and the driver's peak resident memory (VmHWM) is sampled from /proc.
 * Liveness timeouts are generous: a shared machine can stall JVMs for a minute.
 */
public final class StandaloneCluster implements AutoCloseable {
    private final Path dir;
    private final PackagedBuild build;
    private final AveragingSettings.Memory memory;
    private final int workers;
    private final Map<String, String> env = new HashMap<>();
    private final List<Process> processes = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Process driver;
    private final int masterPort = ProcessTrees.freeLoopbackPort();
    private final int masterUi = ProcessTrees.freeLoopbackPort();
    private final Map<Long, Long> executorPeaks = new ConcurrentHashMap<>();
    private volatile long driverPeak = -1;
    /** Stops the cluster if this JVM ends first (Ctrl-C): its daemons would otherwise outlive it. */
    private final Thread shutdownHook = new Thread(this::stopAll, "stop loopback cluster");

    private StandaloneCluster(Path dir, PackagedBuild build, int workers, AveragingSettings.Memory memory) {
        this.dir = dir;
        this.build = build;
        this.workers = workers;
        this.memory = memory;
    }

    /** Starts the master and the workers under {@code dir} (logs/, worker1/...); call {@link #awaitWorkers} next. */
    public static StandaloneCluster start(Path dir, PackagedBuild build, int workers, AveragingSettings.Memory memory) {
        StandaloneCluster c = new StandaloneCluster(dir, build, workers, memory);
        Runtime.getRuntime().addShutdownHook(c.shutdownHook);
        try {
            Files.createDirectories(c.logs().resolve("events"));
            Path home = Files.createDirectories(dir.resolve("spark-home/jars")).getParent();
            c.env.put("SPARK_HOME", home.toString());
            c.env.put("SPARK_LOCAL_IP", "127.0.0.1");
            c.env.put("SPARK_SCALA_VERSION", "2.13");
            c.processes.add(c.launch(c.daemon(List.of("-Xmx256m", "-Dspark.worker.timeout=600", "-Dspark.network.timeout=600s"),
                    "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "" + c.masterPort,
                    "--webui-port", "" + c.masterUi), c.logs().resolve("master.log")));
            for (int w = 1; w <= workers; w++) {
                Path work = Files.createDirectories(dir.resolve("worker" + w));
                c.processes.add(c.launch(c.daemon(List.of("-Xmx256m", "-Dspark.network.timeout=600s"),
                        "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
                        "--memory", memory.executorHeapGb() + "g", "--webui-port", "0", "--work-dir", work.toString(),
                        "spark://127.0.0.1:" + c.masterPort), c.logs().resolve("worker" + w + ".log")));
            }
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e instanceof IOException io ? new BenchException("cannot start the cluster in " + dir + ": " + io.getMessage(), io)
                    : (RuntimeException) e;
        }
    }

    /** Where the cluster's and the driver's logs go. */
    public Path logs() {
        return dir.resolve("logs");
    }

    /** Waits (up to 120 s) until the master lists every worker alive. */
    public void awaitWorkers() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        Pattern alive = Pattern.compile("\"aliveworkers\"\\s*:\\s*" + workers + "\\b");
        String last = "";
        while (System.nanoTime() < deadline) {
            for (Process p : processes) {
                if (!p.isAlive()) throw new BenchException("a cluster process died; see the logs in " + logs());
            }
            try {
                last = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUi + "/json/"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
                if (alive.matcher(last).find()) return;
            } catch (IOException notYet) {
                // the master's web UI is not up yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BenchException("interrupted while waiting for the workers", e);
            }
            sleep(500);
        }
        throw new BenchException(workers + " worker(s) did not register within 120 s; see " + logs() + "; master status: "
                + BenchLine.abbreviate(last));
    }

    /**
     * The heap settings of the driver and executors, as {@code submit/common.sh} gives them: a round allocates and
     * drops model-sized arrays. G1 would shrink the heap after a round and grow it in the next (a 1-3 s stall of the
     * broadcast fetch in some rounds), and its adaptive marking threshold fell so low that every 61 MB piece reaching
     * the driver started a concurrent marking cycle (~10 per round, each 0.2-0.4 s of a core during the exchange);
     * at 70% a piece's arrival reclaims the dead pieces before it and marks nothing.
     */
    static final List<String> ROUND_HEAP_FLAGS = List.of("-XX:MaxHeapFreeRatio=100", "-XX:-G1UseAdaptiveIHOP",
            "-XX:InitiatingHeapOccupancyPercent=70");

    /**
     * The {@code SparkSubmit} command running {@code medseg ARGS} here in client mode: one 1-core executor per worker,
     * tasks started only once all executors are up (so each worker's partition trains in its own JVM).
     */
    public List<String> submitCommand(List<String> medsegArgs) {
        String flags = String.join(" ", build.flags());
        // GC logs of the driver and of each executor (by pid) beside the other logs: where a round's pauses go
        String gcLog = "-Xlog:gc:file=" + logs().resolve("gc-%p.log");
        List<String> driverJvm = new java.util.ArrayList<>(List.of("-Xmx" + memory.driverHeapGb() + "g"));
        driverJvm.addAll(ROUND_HEAP_FLAGS);
        driverJvm.addAll(List.of("-Dorg.bytedeco.javacpp.maxbytes=2G", gcLog));
        List<String> cmd = build.java(driverJvm,
                "org.apache.spark.deploy.SparkSubmit");
        cmd.addAll(List.of("--master", "spark://127.0.0.1:" + masterPort, "--deploy-mode", "client",
                "--class", "dev.medseg.job.cli.Medseg"));
        for (String kv : List.of("spark.executor.extraClassPath=" + build.lib() + "/*",
                "spark.executor.extraJavaOptions=" + flags + " " + String.join(" ", ROUND_HEAP_FLAGS) + " " + memory.executorJavaCpp() + " " + gcLog,
                "spark.driver.extraJavaOptions=" + flags,
                "spark.executor.memory=" + memory.executorHeapGb() + "g", "spark.executor.cores=1", "spark.task.cpus=1",
                "spark.executorEnv.OMP_NUM_THREADS=1", "spark.cores.max=" + workers,
                "spark.scheduler.minRegisteredResourcesRatio=1.0", "spark.scheduler.maxRegisteredResourcesWaitingTime=300s",
                "spark.driver.maxResultSize=16g", "spark.ui.enabled=false", "spark.ui.showConsoleProgress=false",
                "spark.network.timeout=600s", "spark.executor.heartbeatInterval=20s",
                // Spark's own timings of every task (result serialization, result fetch, GC) for a closer look
                "spark.eventLog.enabled=true", "spark.eventLog.dir=" + logs().resolve("events").toUri())) {
            cmd.add("--conf");
            cmd.add(kv);
        }
        cmd.add(build.jar().toString());
        cmd.addAll(medsegArgs);
        return cmd;
    }

    /**
     * Runs {@code medseg ARGS} on the cluster to completion (killed after {@code timeout}), its output in
     * {@code log}, sampling peak resident memory meanwhile; returns the exit code.
     */
    public int submit(List<String> medsegArgs, Path log, Duration timeout) {
        Process p = launch(submitCommand(medsegArgs), log);
        driver = p;
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!p.waitFor(500, TimeUnit.MILLISECONDS)) {
                sample(p);
                if (System.nanoTime() > deadline) {
                    ProcessTrees.stop(p);
                    throw new BenchException("the train run did not finish within " + timeout.toMinutes() + " min; see " + log);
                }
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            ProcessTrees.stop(p);
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while the train run was going on", e);
        } finally {
            driver = null;
        }
    }

    /** The largest VmHWM seen of each executor JVM (by pid), in bytes. */
    public Map<Long, Long> executorPeakResidentBytes() {
        return Map.copyOf(executorPeaks);
    }

    /** The largest VmHWM seen of the driver (the SparkSubmit JVM), in bytes; -1 if never read. */
    public long driverPeakResidentBytes() {
        return driverPeak;
    }

    /** Reads VmHWM of the driver and of every executor (a Worker's child running CoarseGrainedExecutorBackend). */
    private void sample(Process driver) {
        ProcStats.peakResidentBytes(driver.pid()).ifPresent(b -> driverPeak = Math.max(driverPeak, b));
        for (Process worker : processes.subList(1, processes.size())) {
            worker.descendants().filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                    .forEach(h -> ProcStats.peakResidentBytes(h.pid()).ifPresent(b -> executorPeaks.merge(h.pid(), b, Math::max)));
        }
    }

    /** Stops the workers (and their executors), then the master. */
    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }

    private void stopAll() {
        Process d = driver;
        if (d != null) ProcessTrees.stop(d);
        for (int i = processes.size() - 1; i >= 0; i--) ProcessTrees.stop(processes.get(i));
    }

    private List<String> daemon(List<String> options, String mainClass, String... args) {
        List<String> cmd = build.java(options, mainClass);
        cmd.addAll(List.of(args));
        return cmd;
    }

    private Process launch(List<String> command, Path log) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("MEDSEG_SPARK_CONF");
        pb.environment().putAll(env);
        try {
            return pb.start();
        } catch (IOException e) {
            throw new BenchException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted", e);
        }
    }
}
