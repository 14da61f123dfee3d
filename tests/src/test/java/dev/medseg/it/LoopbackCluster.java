package dev.medseg.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A Spark standalone cluster on 127.0.0.1 made of child JVMs — one Master and {@code workers} Workers with one
 * core each — and the {@code SparkSubmit} command line that runs {@code medseg} on it in client mode. The classes
 * come from the packaged jar's lib/ (spark-core ships Master, Worker and SparkSubmit), so no Spark install is needed.
 *
 * <p>One core per worker and per executor everywhere: Spark sets an executor's OMP_NUM_THREADS to its cores, so
 * every executor (a replacement one too) runs ND4J with 1 thread and results stay bit-equal across executors.
 */
final class LoopbackCluster implements AutoCloseable {
    private final Path dir;
    private final Path logs;
    private final Map<String, String> env = new HashMap<>();
    private final List<Process> processes = new ArrayList<>();
    private final int masterPort;
    private final int masterUi;
    private final int workers;

    private LoopbackCluster(Path dir, int workers) throws IOException {
        this.dir = dir;
        this.workers = workers;
        this.logs = Files.createDirectories(dir.resolve("logs"));
        this.masterPort = ChildJvm.freePort();
        this.masterUi = ChildJvm.freePort();
    }

    /**
     * Starts the master and the workers under {@code dir} (logs/, worker1/ ...), without waiting for them: call
     * {@link #awaitWorkers()} before submitting. Work the caller does meanwhile overlaps the JVM start-ups.
     */
    static LoopbackCluster start(Path dir, int workers) throws IOException {
        LoopbackCluster c = new LoopbackCluster(dir, workers);
        Path home = Files.createDirectories(dir.resolve("spark-home/jars")).getParent();
        // The Worker builds executor commands from SPARK_HOME (its jars/ and conf/): an empty one plus
        // spark.executor.extraClassPath stands in for a Spark install.
        c.env.put("SPARK_HOME", home.toString());
        c.env.put("SPARK_LOCAL_IP", "127.0.0.1");
        c.env.put("SPARK_SCALA_VERSION", "2.13");
        // A shared 2-core machine can stall JVMs for a minute or more: generous liveness timeouts everywhere, so
        // a slow run stays slow instead of losing its workers or executors.
        c.processes.add(ChildJvm.start(concat(ChildJvm.java(List.of("-Xmx256m", "-Dspark.worker.timeout=600",
                                "-Dspark.network.timeout=600s"), "org.apache.spark.deploy.master.Master"),
                        "--host", "127.0.0.1", "--port", Integer.toString(c.masterPort), "--webui-port", Integer.toString(c.masterUi)),
                c.env, c.logs.resolve("master.log")));
        for (int w = 1; w <= workers; w++) {
            Path work = Files.createDirectories(c.workDir(w));
            c.processes.add(ChildJvm.start(concat(ChildJvm.java(List.of("-Xmx256m", "-Dspark.network.timeout=600s"),
                            "org.apache.spark.deploy.worker.Worker"),
                    "--host", "127.0.0.1", "--cores", "1", "--memory", "2g", "--webui-port", "0",
                    "--work-dir", work.toString(), "spark://127.0.0.1:" + c.masterPort), c.env, c.logs.resolve("worker" + w + ".log")));
        }
        return c;
    }

    /** The environment child processes of this cluster (SparkSubmit included) need. */
    Map<String, String> env() {
        return env;
    }

    /** Where the logs of the cluster's processes go; callers put their submit logs here too. */
    Path logs() {
        return logs;
    }

    /** Worker {@code w}'s work dir (1-based): app-ID/EXECUTOR-ID/stderr per executor. */
    Path workDir(int w) {
        return dir.resolve("worker" + w);
    }

    /** Worker {@code w}'s JVM (1-based). */
    ProcessHandle worker(int w) {
        return processes.get(w).toHandle();
    }

    /** Waits (up to 90 s) until the master's status page lists every worker alive. */
    void awaitWorkers() throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        Pattern alive = Pattern.compile("\"aliveworkers\"\\s*:\\s*" + workers + "\\b");
        String last = "";
        while (System.nanoTime() < deadline) {
            for (Process p : processes) {
                if (!p.isAlive()) {
                    StringBuilder b = new StringBuilder("a cluster process died\n" + ChildJvm.tail(logs.resolve("master.log")));
                    for (int w = 1; w <= workers; w++) b.append('\n').append(ChildJvm.tail(logs.resolve("worker" + w + ".log")));
                    fail(b.toString());
                }
            }
            try {
                last = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUi + "/json/")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                if (alive.matcher(last).find()) return;
            } catch (IOException notYet) {
                // the master's web UI is not up yet
            }
            Thread.sleep(500);
        }
        fail(workers + " workers did not register within 90 s; master status: " + last);
    }

    /**
     * {@code java ... SparkSubmit} running {@code medseg ARGS} on this cluster in client mode: one 1-core executor
     * per worker, started only when all are up, plus {@code sparkConf} (key=value) settings.
     */
    List<String> submit(List<String> sparkConf, List<String> medsegArgs) {
        String flags = String.join(" ", ChildJvm.flags());
        List<String> cmd = concat(ChildJvm.java(List.of("-Xmx1g", "-Dorg.bytedeco.javacpp.maxbytes=2G"),
                        "org.apache.spark.deploy.SparkSubmit"),
                "--master", "spark://127.0.0.1:" + masterPort, "--deploy-mode", "client",
                "--class", "dev.medseg.job.cli.Medseg",
                "--conf", "spark.executor.extraClassPath=" + ChildJvm.LIB + "/*",
                "--conf", "spark.executor.extraJavaOptions=" + flags + " -Dorg.bytedeco.javacpp.maxbytes=1G",
                "--conf", "spark.driver.extraJavaOptions=" + flags,
                "--conf", "spark.executor.memory=640m", "--conf", "spark.executor.cores=1",
                "--conf", "spark.cores.max=" + workers,
                // Start only when every executor is up, so each worker's partition trains in its own JVM.
                "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=120s",
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.network.timeout=600s", "--conf", "spark.executor.heartbeatInterval=20s");
        for (String kv : sparkConf) {
            cmd.add("--conf");
            cmd.add(kv);
        }
        cmd.add(ChildJvm.JAR.toString());
        cmd.addAll(medsegArgs);
        return cmd;
    }

    /** Every executor's stderr so far (one per executor ever started), by worker then path. */
    List<Path> executorStderr() throws IOException {
        List<Path> out = new ArrayList<>();
        for (int w = 1; w <= workers; w++) {
            try (Stream<Path> s = Files.walk(workDir(w))) {
                s.filter(p -> p.getFileName().toString().equals("stderr")).sorted(Comparator.naturalOrder()).forEach(out::add);
            }
        }
        return out;
    }

    /** The tails of all executor logs, for assertion messages. */
    String executorLogs() {
        try {
            StringBuilder b = new StringBuilder();
            for (Path p : executorStderr()) b.append('\n').append(ChildJvm.tail(p));
            return b.toString();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The live executor JVM whose log is {@code stderr} (WORKER_DIR/APP_ID/EXECUTOR_ID/stderr): the worker's child
     * running CoarseGrainedExecutorBackend with that app and executor id.
     */
    Optional<ProcessHandle> executorProcess(Path stderr) {
        String execId = stderr.getParent().getFileName().toString();
        String appId = stderr.getParent().getParent().getFileName().toString();
        for (int w = 1; w <= workers; w++) {
            if (!stderr.startsWith(workDir(w))) continue;
            return worker(w).descendants().filter(h -> {
                String cmd = h.info().commandLine().orElse("");
                return cmd.contains("CoarseGrainedExecutorBackend") && cmd.contains("--app-id " + appId)
                        && cmd.contains("--executor-id " + execId);
            }).findFirst();
        }
        return Optional.empty();
    }

    /** Stops the workers (and their executors), then the master. */
    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) ChildJvm.stop(processes.get(i));
    }

    static List<String> concat(List<String> head, String... tail) {
        List<String> out = new ArrayList<>(head);
        out.addAll(List.of(tail));
        return out;
    }
}
