package dev.medseg.model.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/** Decoding and encoding of contiguous element bytes; the buffer's byte order says how they are stored. */
final class Elements {
    private Elements() {
    }

    /** Converts {@code n} floating-point elements starting at the buffer's position to f32. */
    static float[] toFloat(ByteBuffer b, DType dtype, int n) {
        float[] out = new float[n];
        toFloat(b, dtype, n, FloatBuffer.wrap(out));
        return out;
    }

    /** As {@link #toFloat(ByteBuffer, DType, int)}, into {@code out} from its position on (advancing it by n). */
    static void toFloat(ByteBuffer b, DType dtype, int n, FloatBuffer out) {
        int p = b.position();
        switch (dtype) {
            case F32 -> out.put(b.duplicate().order(b.order()).asFloatBuffer().limit(n));
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out.put((float) b.getDouble(p + 8 * i));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out.put(HalfFloats.halfToFloat(b.getShort(p + 2 * i)));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out.put(HalfFloats.bfloat16ToFloat(b.getShort(p + 2 * i)));
                }
            }
            default -> throw new IllegalArgumentException("not a floating dtype: " + dtype);
        }
    }

    /** Converts {@code n} integer or bool elements starting at the buffer's position to longs. */
    static long[] toLong(ByteBuffer b, DType dtype, int n) {
        long[] out = new long[n];
        int p = b.position();
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype) {
                case I8 -> b.get(p + i);
                case U8 -> b.get(p + i) & 0xffL;
                case BOOL -> b.get(p + i) != 0 ? 1 : 0;
                case I16 -> b.getShort(p + 2 * i);
                case I32 -> b.getInt(p + 4 * i);
                case I64 -> b.getLong(p + 8 * i);
                default -> throw new IllegalArgumentException("not an integer dtype: " + dtype);
            };
        }
        return out;
    }

    /** Copies {@code n} elements to a new little-endian byte array, swapping bytes if the buffer is big-endian. */
    static byte[] toLittleEndian(ByteBuffer b, DType dtype, int n) {
        int size = dtype.size();
        byte[] out = new byte[n * size];
        b.duplicate().get(out);
        if (b.order() == ByteOrder.BIG_ENDIAN && size > 1) {
            for (int i = 0; i < out.length; i += size) {
                for (int lo = i, hi = i + size - 1; lo < hi; lo++, hi--) {
                    byte t = out[lo];
                    out[lo] = out[hi];
                    out[hi] = t;
                }
            }
        }
        return out;
    }

    /** Encodes f32 values as little-endian {@code dtype} (F32, F16 or BF16; F64 widens exactly). */
    static byte[] encode(float[] values, DType dtype) {
        ByteBuffer out = ByteBuffer.allocate(values.length * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> out.asFloatBuffer().put(values);
            case F64 -> {
                for (float v : values) {
                    out.putDouble(v);
                }
            }
            case F16 -> {
                for (float v : values) {
                    out.putShort(HalfFloats.floatToHalf(v));
                }
            }
            case BF16 -> {
                for (float v : values) {
                    out.putShort(HalfFloats.floatToBfloat16(v));
                }
            }
            default -> throw new IllegalArgumentException("cannot encode floats as " + dtype);
        }
        return out.array();
    }

    /** Encodes longs as little-endian {@code dtype} (an integer type or BOOL), failing on a value that does not fit. */
    static byte[] encode(long[] values, DType dtype) {
        ByteBuffer out = ByteBuffer.allocate(values.length * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            boolean fits = switch (dtype) {
                case I8 -> v == (byte) v;
                case U8 -> v >= 0 && v <= 0xff;
                case BOOL -> v == 0 || v == 1;
                case I16 -> v == (short) v;
                case I32 -> v == (int) v;
                case I64 -> true;
                default -> throw new IllegalArgumentException("cannot encode longs as " + dtype);
            };
            if (!fits) {
                throw new IllegalArgumentException("value " + v + " does not fit " + dtype);
            }
            switch (dtype.size()) {
                case 1 -> out.put((byte) v);
                case 2 -> out.putShort((short) v);
                case 4 -> out.putInt((int) v);
                default -> out.putLong(v);
            }
        }
        return out.array();
    }

    /**
     * Materialises a strided view as contiguous C-order bytes. {@code src} holds the elements from the view's
     * first element onward (index 0 = storage offset); the caller has checked that every index it reaches lies in it.
     */
    static byte[] gather(ByteBuffer src, long[] size, long[] stride, int elemSize, int numel) {
        byte[] out = new byte[numel * elemSize];
        if (numel == 0) {
            return out;
        }
        int rank = size.length;
        if (rank == 0) {
            src.duplicate().get(out);
            return out;
        }
        int inner = (int) size[rank - 1];
        long innerStride = stride[rank - 1];
        long[] idx = new long[rank];
        ByteBuffer s = src.duplicate();
        int o = 0;
        long base = 0; // element index of the start of the current innermost row
        while (true) {
            if (innerStride == 1) {
                s.position((int) (base * elemSize));
                s.get(out, o, inner * elemSize);
                o += inner * elemSize;
            } else {
                for (int j = 0; j < inner; j++) {
                    s.position((int) ((base + j * innerStride) * elemSize));
                    s.get(out, o, elemSize);
                    o += elemSize;
                }
            }
            // odometer over the outer dimensions
            int d = rank - 2;
            while (d >= 0) {
                idx[d]++;
                base += stride[d];
                if (idx[d] < size[d]) {
                    break;
                }
                base -= stride[d] * idx[d];
                idx[d] = 0;
                d--;
            }
            if (d < 0) {
                return out;
            }
        }
    }

    /**
     * Largest element index a strided view reaches (0 for an empty view, which reaches none).
     *
     * @throws ArithmeticException if a forged size or stride overflows 64 bits
     */
    static long maxIndex(long[] size, long[] stride) {
        long m = 0;
        for (int i = 0; i < size.length; i++) {
            if (size[i] == 0) {
                return 0;
            }
        }
        for (int i = 0; i < size.length; i++) {
            m = Math.addExact(m, Math.multiplyExact(size[i] - 1, stride[i]));
        }
        return m;
    }
}
