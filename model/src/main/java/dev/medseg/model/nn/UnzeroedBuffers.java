package dev.medseg.model.nn;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Op-output arrays whose memory is not zero-filled, for our session memory managers ({@link Inference.FreeOnRelease}
 * and the trainer's): an op writes its output in full (SameDiff's own ArrayCacheMemoryMgr hands out reused arrays
 * unzeroed too).
 *
 * <p>Why: libnd4j zero-fills every buffer it allocates ({@code DataBuffer::allocatePrimary}), and a TransUNet train
 * step allocates ~3 GB of outputs: memset was 4% of the step's CPU time (perf, tcmalloc preloaded). Here the memory
 * comes from JavaCPP's {@code new float[n]} (so from the same allocator, which reuses freed memory across sizes as
 * before) and is wrapped as an externalized libnd4j buffer, which libnd4j neither fills nor frees: {@link #free}
 * and {@link #freeAll} do. So every array from here must be freed here: the trainer frees all a step handed out at
 * its end, and {@link Inference#output} hands its caller copies of the outputs and frees the rest.
 *
 * <p>One per memory manager, so one thread: not thread-safe.
 */
final class UnzeroedBuffers {
    /** Below this, libnd4j's zeroing costs less than the extra JNI calls and bookkeeping. */
    static final long MIN_BYTES = 64 << 10;
    /**
     * Host memory only: on the CUDA backend an output lives on the device, and a buffer over a host pointer would
     * add copies, so there every output keeps libnd4j's allocation.
     */
    private static final boolean CPU = Nd4j.getEnvironment().isCPU();

    private final Map<DataBuffer, Pointer> owned = new IdentityHashMap<>();
    private long handedOut;

    /** A c-order array of {@code shape} over fresh unzeroed memory, or null where libnd4j should allocate. */
    INDArray allocate(DataType type, long[] shape) {
        long length = 1;
        for (long s : shape) length *= s;
        if (!CPU || length <= 0 || length * type.width() < MIN_BYTES) return null;
        Pointer p;
        DataBuffer b;
        if (type == DataType.FLOAT) {
            FloatPointer f = new FloatPointer(length);
            b = Nd4j.createBuffer(f, type, length, FloatIndexer.create(f));
            p = f;
        } else if (type == DataType.DOUBLE) {
            DoublePointer d = new DoublePointer(length);
            b = Nd4j.createBuffer(d, type, length, DoubleIndexer.create(d));
            p = d;
        } else {
            return null;
        }
        owned.put(b, p);
        handedOut++;
        return Nd4j.create(b, shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
    }

    /** Closes {@code a} and frees its memory if it came from here (not a view of it); false otherwise. */
    boolean free(INDArray a) {
        if (a.isView()) return false;
        Pointer p = owned.remove(a.data());
        if (p == null) return false;
        release(a.data(), p);
        return true;
    }

    /** Closes {@code b} (any array still on it then fails instead of reading freed memory) and frees {@code p}. */
    private static void release(DataBuffer b, Pointer p) {
        if (!b.wasClosed()) b.close();
        p.deallocate();
    }

    /** Arrays handed out since the last call (for tests and diagnostics). */
    long takeCount() {
        long n = handedOut;
        handedOut = 0;
        return n;
    }

    /** Frees every array handed out and not freed yet. */
    void freeAll() {
        owned.forEach(UnzeroedBuffers::release);
        owned.clear();
    }

    /** Whether {@code a}'s memory (its own or, for a view, its base's) came from here and is not freed yet. */
    boolean holdsMemoryOf(INDArray a) {
        DataBuffer d = a.data();
        return owned.containsKey(d.originalDataBuffer() != null ? d.originalDataBuffer() : d);
    }

    /** Arrays handed out and not freed. */
    int live() {
        return owned.size();
    }
}
