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
    private Inference() {}

    /** {@code sd.output(feed, outputs)} on this thread's session, with released arrays freed at once. */
    public static Map<String, INDArray> output(SameDiff sd, Map<String, INDArray> feed, String... outputs) {
        freeReleasedArrays(sd);
        return sd.output(feed, outputs);
    }

    /** Makes this thread's inference session of {@code sd} free the arrays it releases (idempotent). */
    static void freeReleasedArrays(SameDiff sd) {
        sessionMemory(sd, FreeOnRelease.class, FreeOnRelease::new);
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
     * Allocates as the cache does and deallocates on release (as the cache does with arrays that do not fit). The
     * trainer's session manager extends it to also track what it hands out.
     */
    public static class FreeOnRelease extends AbstractMemoryMgr {
        /** Arrays freed so far (for tests). */
        long freed;

        @Override
        public INDArray allocate(boolean detached, DataType dataType, long... shape) {
            return Nd4j.createUninitializedDetached(dataType, shape);
        }

        @Override
        public INDArray allocate(boolean detached, LongShapeDescriptor descriptor) {
            return Nd4j.create(descriptor, false);
        }

        @Override
        public void release(INDArray array) {
            if (!array.wasClosed() && array.closeable()) {
                array.close();
                freed++;
            }
        }

        @Override
        public void close() {}
    }
}
