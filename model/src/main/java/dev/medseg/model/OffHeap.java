package dev.medseg.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.function.Consumer;

/**
 * Float arrays filled in place in ND4J's off-heap memory. Staging a large tensor in a Java {@code float[]} first
 * (the LLaMA block's FFN matrices are 180 MB each) puts the whole block on the heap as well, where it stays resident
 * until an old-generation collection; writing through a direct buffer over the array's own memory does not.
 */
public final class OffHeap {
    private OffHeap() {}

    /** A new C-order FLOAT array of {@code shape} whose elements {@code fill} puts, in order, into the buffer. */
    public static INDArray floats(long[] shape, Consumer<FloatBuffer> fill) {
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
        FloatBuffer b = a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
        fill.accept(b);
        if (b.position() != a.length()) {
            a.close();
            throw new IllegalStateException("filled " + b.position() + " of " + a.length() + " elements");
        }
        return a;
    }

    /** {@code a} as {@code dtype}: itself if it is already, else a converted copy (and {@code a} is freed). */
    public static INDArray as(INDArray a, DataType dtype) {
        if (a.dataType() == dtype) return a;
        INDArray c = a.castTo(dtype);
        a.close();
        return c;
    }
}
