package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;
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
