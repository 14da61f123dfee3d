package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * Eval-mode forward passes that keep only live activations in memory.
 *
 * <p>SameDiff's inference session hands every array it releases to an {@code ArrayCacheMemoryMgr}, which keeps it
 * for reuse by shape up to a quarter of ND4J's off-heap limit (2 GB under bin/medseg's 8 GB). A TransUNet forward
 * has hundreds of distinct shapes, so the cache mostly holds dead activations: peak RSS of a batch-2 forward was
 * 1.8 GB against PyTorch's 0.9 GB. Here a released array is freed at once; the allocator (tcmalloc under
 * bin/medseg) reuses the memory for the next op's output.
 */
public final class Inference {
    /** Passes run as {@link StaticPlan}s where the graph allows; false: always SameDiff's session. */
    private static final boolean STATIC_PLANS = !"false".equals(System.getProperty("medseg.staticPlan"));

    /** Whether passes run as {@link StaticPlan}s where the graph allows ({@code -Dmedseg.staticPlan=false}: never). */
    public static boolean staticPlans() {
        return STATIC_PLANS;
    }

    private Inference() {}

    /**
     * {@code sd.output(feed, outputs)} on this thread's session, with released arrays freed at once; the returned
     * arrays are the caller's (libnd4j-allocated copies where the session's were unzeroed).
     */
    public static Map<String, INDArray> output(SameDiff sd, Map<String, INDArray> feed, String... outputs) {
        FreeOnRelease memory = freeReleasedArrays(sd);
        try {
            StaticPlan plan = memory.plan(sd, outputs);
            return memory.handOver(plan != null ? plan.run(feed, memory) : sd.output(feed, outputs));
        } finally {
            memory.freeUnzeroed(); // also after a failed pass
        }
    }

    /**
     * As {@link #output}, for a graph that treats the samples along the leading dimension of every fed array
     * independently and gives sample-major outputs (a leading dimension of a fixed number of rows per sample): the
     * segmentation models' eval graphs. A batch of two or more samples then runs as {@link CpuReplicas} passes over
     * consecutive slices of it side by side, when the graph runs as a {@link StaticPlan}; otherwise as one pass.
     */
    public static Map<String, INDArray> outputBySample(SameDiff sd, Map<String, INDArray> feed, String... outputs) {
        long samples = samples(feed);
        int replicas = samples > 1 && STATIC_PLANS && !CpuReplicas.onReplicaThread() ? CpuReplicas.forBatch(samples) : 1;
        if (replicas > 1 && freeReleasedArrays(sd).plan(sd, outputs) != null) {
            return outputByReplicas(sd, feed, samples, replicas, outputs);
        }
        return output(sd, feed, outputs);
    }

    /**
     * The samples of the feed when every fed array has them as its leading dimension (an eval batch), else 0
     * (the feed cannot be split by sample).
     */
    private static long samples(Map<String, INDArray> feed) {
        long n = -1;
        for (INDArray x : feed.values()) {
            if (x == null || x.rank() == 0) return 0;
            long b = x.size(0);
            if (n >= 0 && b != n) return 0;
            n = b;
        }
        return Math.max(n, 0);
    }

    /**
     * An eval pass as {@code replicas} passes over consecutive slices of the batch, side by side
     * ({@link CpuReplicas}), each output put back together along its leading dimension. An eval graph treats
     * samples independently (BatchNorm reads running statistics, no dropout), so only the kernels' summation order
     * could differ from one pass over the whole batch ({@code InferenceTest} finds the logits bit for bit equal).
     */
    private static Map<String, INDArray> outputByReplicas(SameDiff sd, Map<String, INDArray> feed, long samples,
                                                          int replicas, String... outputs) {
        long[] start = new long[replicas + 1];
        for (int r = 0; r <= replicas; r++) start[r] = samples * r / replicas;
        List<Callable<Map<String, INDArray>>> tasks = new ArrayList<>();
        for (int r = 0; r < replicas; r++) {
            long from = start[r], to = start[r + 1];
            tasks.add(() -> {
                Map<String, INDArray> part = new LinkedHashMap<>();
                for (var e : feed.entrySet()) part.put(e.getKey(), e.getValue().get(NDArrayIndex.interval(from, to)).dup('c'));
                Map<String, INDArray> result = null;
                try {
                    return result = output(sd, part, outputs);
                } finally {
                    for (INDArray x : part.values()) {
                        boolean handedOut = false; // an output that is a fed array itself stays open
                        if (result != null) for (INDArray y : result.values()) handedOut |= y == x;
                        if (!handedOut) x.close();
                    }
                }
            });
        }
        List<Map<String, INDArray>> parts = CpuReplicas.run(tasks);
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (String name : outputs) {
            INDArray[] pieces = new INDArray[replicas];
            long rowsPerSample = -1;
            for (int r = 0; r < replicas; r++) {
                pieces[r] = parts.get(r).get(name);
                long n = start[r + 1] - start[r];
                long rows = pieces[r] == null || pieces[r].rank() == 0 ? -1 : pieces[r].size(0);
                if (rows < 0 || rows % n != 0 || rowsPerSample >= 0 && rows / n != rowsPerSample) {
                    throw new IllegalStateException("output '" + name + "' is not sample-major (" + rows + " rows for "
                            + n + " samples): it cannot be computed slice by slice; run with -Dmedseg.cpuReplicas=1");
                }
                rowsPerSample = rows / n;
            }
            out.put(name, Nd4j.concat(0, pieces));
            for (INDArray p : pieces) p.close();
        }
        return out;
    }

    /** Makes this thread's inference session of {@code sd} free the arrays it releases (idempotent). */
    static FreeOnRelease freeReleasedArrays(SameDiff sd) {
        return sessionMemory(sd, FreeOnRelease.class, FreeOnRelease::new);
    }

    /**
     * The memory manager of this thread's session of {@code sd}, replaced by {@code make}'s (the old one closed) unless
     * it already is a {@code type}: SameDiff keeps one session per thread and function, each with its own manager.
     */
    public static <M extends AbstractMemoryMgr> M sessionMemory(SameDiff sd, Class<M> type, Supplier<M> make) {
        InferenceSession session = sd.getSessions().computeIfAbsent(Thread.currentThread().getId(),
                k -> new InferenceSession(sd));
        if (!type.isInstance(session.getMmgr())) {
            session.getMmgr().close();
            session.setMmgr(make.get());
        }
        return type.cast(session.getMmgr());
    }

    /**
     * Allocates as the cache does, outputs of 64 KB and more without zero-filling ({@link UnzeroedBuffers}), and
     * deallocates on release (as the cache does with arrays that do not fit). The trainer's session manager extends
     * it to also track what it hands out.
     */
    public static class FreeOnRelease extends AbstractMemoryMgr {
        /** Arrays freed so far (for tests). */
        long freed;
        private final UnzeroedBuffers unzeroed = new UnzeroedBuffers();
        /** This thread's plans for the graph of this session, by requested outputs; null: the graph needs the session. */
        private final Map<String, java.util.Optional<StaticPlan>> plans = new java.util.HashMap<>();

        /**
         * The {@link StaticPlan} computing {@code outputs} of {@code sd}, made on first use; null when the graph needs
         * SameDiff's session or {@code -Dmedseg.staticPlan=false} asks for it (for A/B measurements).
         */
        StaticPlan plan(SameDiff sd, String... outputs) {
            if (!STATIC_PLANS) return null;
            String key = String.join("\u0000", outputs);
            java.util.Optional<StaticPlan> p = plans.get(key);
            if (p == null || p.isPresent() && !p.get().current()) {
                p = java.util.Optional.ofNullable(StaticPlan.compile(sd, outputs));
                plans.put(key, p);
            }
            return p.orElse(null);
        }

        @Override
        public INDArray allocate(boolean detached, DataType dataType, long... shape) {
            INDArray a = unzeroed.allocate(dataType, shape);
            return a != null ? a : Nd4j.createUninitializedDetached(dataType, shape);
        }

        @Override
        public INDArray allocate(boolean detached, LongShapeDescriptor d) {
            boolean plain = !d.isEmpty() && d.getOrder() == 'c'
                    && java.util.Arrays.equals(d.getStride(), Nd4j.getStrides(d.getShape(), 'c'));
            INDArray a = plain ? unzeroed.allocate(d.dataType(), d.getShape()) : null;
            return a != null ? a : Nd4j.create(d, false);
        }

        @Override
        public void release(INDArray array) {
            if (unzeroed.free(array)) {
                freed++;
            } else if (!array.wasClosed() && array.closeable()) {
                array.close();
                freed++;
            }
        }

        /**
         * {@code out} with each array on unzeroed memory (a view of it too) replaced by a libnd4j-allocated copy
         * (before {@link #freeUnzeroed}).
         */
        Map<String, INDArray> handOver(Map<String, INDArray> out) {
            Map<String, INDArray> mine = new java.util.LinkedHashMap<>();
            for (var e : out.entrySet()) {
                INDArray a = e.getValue();
                mine.put(e.getKey(), a != null && unzeroed.holdsMemoryOf(a) ? a.dup() : a);
            }
            return mine;
        }

        /** Frees every unzeroed array still allocated: after a pass whose outputs were handed over. */
        public void freeUnzeroed() {
            unzeroed.freeAll();
        }

        /** Unzeroed arrays handed out since the last call (for tests and diagnostics). */
        public long unzeroedHandedOut() {
            return unzeroed.takeCount();
        }

        /** Unzeroed arrays not freed yet. */
        public int unzeroedLive() {
            return unzeroed.live();
        }

        @Override
        public void close() {
            freeUnzeroed();
        }
    }
}
