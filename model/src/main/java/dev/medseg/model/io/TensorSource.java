package dev.medseg.model.io;

import java.nio.file.Path;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Optional;

/**
 * Read-only access, by name, to the tensors of a checkpoint file (or a set of shards).
 * Nothing is read before it is asked for, so one tensor of a many-gigabyte file costs one tensor of memory.
 * Every read returns a fresh C-order array; the caller turns it into an INDArray if it wants one.
 */
public interface TensorSource extends AutoCloseable {

    /** The tensor names, in file order. */
    List<String> names();

    /** What the file declares for {@code name}, or empty if there is no such tensor. */
    Optional<TensorInfo> info(String name);

    /** The elements of a floating-point tensor (f16, bf16, f32, f64) converted exactly to f32 (f64 is rounded). */
    float[] readFloat(String name);

    /**
     * As {@link #readFloat}, into {@code out} from its position on (which must have room for every element), so a
     * large tensor can go straight to off-heap memory without a heap copy.
     */
    default void readFloatInto(String name, FloatBuffer out) {
        out.put(readFloat(name));
    }

    /** The elements of an integer or bool tensor as longs (u8 stays unsigned, bool is 0/1). */
    long[] readLong(String name);

    /**
     * The stored elements in C order, little-endian, in the tensor's own dtype: what a writer needs to copy a
     * tensor without converting it.
     */
    byte[] readRaw(String name);

    /** The file this source reads (for a sharded checkpoint, its index file). */
    Path file();

    /** A short description of the source for messages, e.g. its path. */
    default String describe() {
        return file().toString();
    }

    /** The info for {@code name}, or a {@link CheckpointFormatException} naming the file and the missing tensor. */
    default TensorInfo require(String name) {
        return info(name).orElseThrow(() -> new CheckpointFormatException(describe(), name, "no such tensor"));
    }

    /** Closes the underlying files; no exception is checked. */
    @Override
    void close();
}
