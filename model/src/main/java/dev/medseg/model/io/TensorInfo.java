package dev.medseg.model.io;

import java.util.Arrays;

/**
 * What a file says about one tensor before any of its data is read.
 *
 * @param name       the tensor's key in its file
 * @param dtype      the stored element type
 * @param shape      dimensions in C (row-major) order; empty for a scalar
 * @param offset     byte offset of the stored data within its container (the file for safetensors and .npy,
 *                   the zip entry for .npz, the storage for torch); -1 where not meaningful
 * @param byteLength number of bytes the stored data spans in that container (numel * dtype size when contiguous)
 */
public record TensorInfo(String name, DType dtype, long[] shape, long offset, long byteLength) {

    /** Copies the shape so that the record stays immutable. */
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements: the product of the shape (1 for a scalar). */
    public long numel() {
        return Shapes.numel(shape);
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && offset == t.offset && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * name.hashCode() + dtype.hashCode()) + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
