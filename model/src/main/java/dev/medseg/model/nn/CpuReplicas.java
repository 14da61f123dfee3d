package dev.medseg.model.nn;

import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.Nd4jBlas;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pieces of CPU work (the samples of an eval batch, the replicas of a training step) run side by side, each on its
 * own share of the cores (one core each where there are as many pieces as cores), instead of one after the other
 * with every kernel split across all the cores.
 *
 * <p>Why: on the CPU backend a pass is thousands of ops, and between and inside the small ones (element-wise ops
 * under libnd4j's threading threshold, shape work, the Java that drives each op) one core waits for the other:
 * over a 2-thread TransUNet step our main thread is busy 97% of the time and libnd4j's worker 62–82%. Halves of a
 * batch on two threads keep both cores busy through all of that, and single-threaded products and convolutions
 * lose little against 2-threaded ones on half the rows. Measured on a 2-core VM (README, Performance): a batch-2
 * TransUNet eval pass 1.26–1.41 s on 2 threads against 1.16–1.23 s as two batch-1 halves side by side.
 *
 * <p>While replicas run, libnd4j's own thread limit (its master-thread count) is its usual limit divided by the
 * number of replicas, for the whole process (a process-wide setting), each replica thread has the same OpenMP limit for oneDNN (a per-thread
 * setting), and OpenBLAS runs on one thread (process-wide; its threaded build serialises concurrent callers on a
 * lock, which took 6% of the time before). The previous limits come back when the last replica section ends; other
 * model work in the same JVM meanwhile (another Spark task slot) runs under the lowered limits: slower, and for
 * reductions another float summation order. The results of a pass depend on the replica count (summation order;
 * each replica of a training step draws its own dropout masks), as they depend on the thread count.
 *
 * <p>{@code -Dmedseg.cpuReplicas=N} sets the number of replicas (1: off); the default is libnd4j's thread limit
 * (OMP_NUM_THREADS or the core count) on the CPU backend and 1 on a GPU, where one device runs the whole batch.
 */
public final class CpuReplicas {
    private CpuReplicas() {}

    private static final int CONFIGURED = parse(System.getProperty("medseg.cpuReplicas"));
    private static volatile Integer resolved;
    /** Sections in progress; the first to start saves and lowers the process-wide limits, the last restores them. */
    private static int active;
    private static int savedMaxThreads, savedMasterThreads, savedBlasThreads; // set by the first active section
    private static ExecutorService pool;
    private static final AtomicInteger NAMES = new AtomicInteger();

    static int parse(String s) {
        if (s == null || s.isBlank() || s.trim().equals("auto")) return 0;
        try {
            int n = Integer.parseInt(s.trim());
            if (n >= 1 && n <= 256) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("medseg.cpuReplicas must be 'auto' or a count in 1..256, got '" + s + "'");
    }

    /** How many replicas a batch is split into at most: 1 on a GPU backend or when set so. */
    public static int count() {
        Integer r = resolved;
        if (r == null) {
            Environment env = Nd4j.getEnvironment();
            r = !env.isCPU() ? 1 : CONFIGURED > 0 ? CONFIGURED : Math.max(1, env.maxThreads());
            resolved = r;
        }
        return r;
    }

    /** Sets the replica count for the rest of this JVM, or with null goes back to the configured one (tests). */
    static void setCount(Integer n) {
        if (n != null && n < 1) throw new IllegalArgumentException("replica count " + n);
        resolved = n;
    }

    /** Replica sections run so far (tests and diagnostics). */
    public static long sectionsRun() {
        return SECTIONS.get();
    }

    private static final java.util.concurrent.atomic.AtomicLong SECTIONS = new java.util.concurrent.atomic.AtomicLong();

    /** How many replicas a batch of {@code samples} runs as: at most one per sample. */
    public static int forBatch(long samples) {
        return (int) Math.max(1, Math.min(count(), samples));
    }

    /**
     * How many replicas a training step of {@code batch} samples runs as: the most, up to {@link #count}, that
     * split the batch evenly (each replica's loss is then an equal share of the step's); 1 if SameDiff cannot be
     * given the replica sum's gradient ({@link ReplicaSum#installed}).
     */
    public static int forTraining(int batch) {
        if (count() == 1 || !ReplicaSum.installed()) return 1;
        for (int r = Math.min(count(), batch); r > 1; r--) if (batch % r == 0) return r;
        return 1;
    }

    /**
     * Runs every task at once, the first on the calling thread and the others on replica threads, each with
     * single-threaded native kernels; returns their results in order. If any fails, waits for the others and
     * throws the first failure (as an unchecked exception; the rest are added to it as suppressed).
     */
    public static <T> List<T> run(List<Callable<T>> tasks) {
        if (tasks.isEmpty()) return List.of();
        SECTIONS.incrementAndGet();
        int threads = enter(tasks.size());
        try {
            List<Future<T>> others = new ArrayList<>();
            ExecutorService p = pool();
            for (int i = 1; i < tasks.size(); i++) {
                Callable<T> task = tasks.get(i);
                others.add(p.submit(() -> {
                    kernelThreads(threads);
                    return inReplica(task);
                }));
            }
            List<T> results = new ArrayList<>();
            Throwable failure = null;
            var ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
            int callerOmp = ops.ompGetMaxThreads();
            try {
                kernelThreads(threads);
                results.add(inReplica(tasks.get(0)));
            } catch (Throwable t) {
                failure = t;
                results.add(null);
            } finally {
                kernelThreads(callerOmp);
            }
            for (Future<T> f : others) {
                try {
                    results.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    failure = first(failure, e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure = first(failure, e);
                }
            }
            if (failure instanceof RuntimeException re) throw re;
            if (failure instanceof Error err) throw err;
            if (failure != null) throw new IllegalStateException(failure.getMessage(), failure);
            return results;
        } finally {
            exit();
        }
    }

    private static final ThreadLocal<Boolean> IN_REPLICA = ThreadLocal.withInitial(() -> false);

    /** Whether this thread is running a replica's task (which must not split its work again). */
    public static boolean onReplicaThread() {
        return IN_REPLICA.get();
    }

    private static <T> T inReplica(Callable<T> task) throws Exception {
        IN_REPLICA.set(true);
        try {
            return task.call();
        } finally {
            IN_REPLICA.set(false);
        }
    }

    private static Throwable first(Throwable seen, Throwable t) {
        if (seen == null) return t;
        if (t != seen) seen.addSuppressed(t);
        return seen;
    }

    /** This thread's OpenMP limit (oneDNN's kernels read it per calling thread). */
    private static void kernelThreads(int threads) {
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
    }

    /**
     * The replica threads: made on demand and kept (an idle one ends after an hour), never a queue. Replicas of a
     * training step wait for each other, so a replica must never wait in a queue behind another step's.
     */
    private static synchronized ExecutorService pool() {
        if (pool == null) {
            pool = new java.util.concurrent.ThreadPoolExecutor(0, Integer.MAX_VALUE, 1, java.util.concurrent.TimeUnit.HOURS,
                    new java.util.concurrent.SynchronousQueue<>(), r -> {
                        Thread t = new Thread(r, "medseg-replica-" + NAMES.incrementAndGet());
                        t.setDaemon(true); // never keeps a JVM alive
                        return t;
                    });
        }
        return pool;
    }

    /**
     * Lowers the process-wide limits for a section of {@code replicas} (the first section saves them) and returns
     * each replica's thread count: the usual limit shared out, at least 1.
     */
    private static synchronized int enter(int replicas) {
        Environment env = Nd4j.getEnvironment();
        if (active++ == 0) {
            savedMaxThreads = env.maxThreads();
            savedMasterThreads = env.maxMasterThreads();
            Nd4jBlas blas = blas();
            savedBlasThreads = blas == null ? 0 : blas.getMaxThreads();
            if (blas != null) blas.setMaxThreads(1);
        }
        int threads = Math.max(1, savedMaxThreads / replicas);
        // libnd4j's loops take their thread count from the master-thread limit (M2.1's setMaxThreads does nothing)
        if (active == 1 || threads < env.maxMasterThreads()) env.setMaxMasterThreads(Math.min(threads, savedMasterThreads));
        return threads;
    }

    private static synchronized void exit() {
        if (--active > 0) return;
        Nd4j.getEnvironment().setMaxMasterThreads(savedMasterThreads);
        Nd4jBlas blas = blas();
        if (blas != null && savedBlasThreads > 0) blas.setMaxThreads(savedBlasThreads);
    }

    private static Nd4jBlas blas() {
        return Nd4j.factory().blas() instanceof Nd4jBlas b ? b : null;
    }
}
