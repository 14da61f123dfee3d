package dev.medseg.model.io;

import java.util.Arrays;

/** Shape arithmetic with the checks that keep a forged header from overflowing or exhausting memory. */
final class Shapes {
    /** Largest Java array length the JVM reliably allocates. */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
    /** More dimensions than any real tensor has; numpy's own limit is 64. */
    static final int MAX_RANK = 64;

    private Shapes() {
    }

    /** Product of the dimensions; the caller has validated them, so this cannot overflow. */
    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Validates rank and dimensions and returns the element count, or throws naming file and tensor. */
    static long checkedNumel(long[] shape, String file, String tensor) {
        if (shape.length > MAX_RANK) {
            throw new CheckpointFormatException(file, tensor, "rank " + shape.length + " exceeds " + MAX_RANK);
        }
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new CheckpointFormatException(file, tensor, "negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new CheckpointFormatException(file, tensor, "shape " + Arrays.toString(shape) + " overflows a 64-bit element count");
            }
        }
        return n;
    }

    /** Byte length of {@code numel} elements of {@code dtype}, or throws if that overflows. */
    static long checkedBytes(long numel, DType dtype, String file, String tensor) {
        try {
            return Math.multiplyExact(numel, (long) dtype.size());
        } catch (ArithmeticException e) {
            throw new CheckpointFormatException(file, tensor, numel + " elements of " + dtype + " overflow a 64-bit byte count");
        }
    }

    /** Throws unless {@code count} items fit in one Java array, so a read never asks for an impossible array. */
    static int checkedArrayLength(long count, String what, String file, String tensor) {
        if (count > MAX_ARRAY) {
            throw new CheckpointFormatException(file, tensor, what + " of " + count + " exceeds the largest Java array ("
                    + MAX_ARRAY + "); split the tensor");
        }
        return (int) count;
    }

    /** C-order (row-major) strides in elements for {@code shape}. */
    static long[] contiguousStrides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return s;
    }

    /** Fortran-order (column-major) strides in elements for {@code shape}. */
    static long[] fortranStrides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = 0; i < shape.length; i++) {
            s[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return s;
    }
}
