package dev.medseg.model.train;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Float and double vectors on a Java serialization stream as a length and raw little-endian values in 1 MiB blocks.
 * Why: Java serialization converts a float[] element by element (~1 s per GB each way on the build machine, several
 * times a round for a model-sized state); bulk ByteBuffer copies take a fraction of that. Spark's transport between
 * our own JVMs, not files: checkpoints on disk are read by {@link ModelCheckpoint}, with bounds checks.
 */
public final class RawArrays {
    private static final int BLOCK = 1 << 20;
    /**
     * Little-endian, the byte order of the machines we run on: the bulk copies are then plain memory copies, where
     * Java's default big-endian order swaps every value on both ends.
     */
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private RawArrays() {}

    /** Writes {@code length} values of {@code v} from {@code offset}, preceded by the length. */
    public static void writeFloats(DataOutput out, float[] v, int offset, int length) throws IOException {
        out.writeInt(length);
        writeValues(out, v, offset, length);
    }

    /**
     * Writes {@code length} values of {@code v} from {@code offset} without a length: a caller that writes one vector
     * from several arrays writes the total length itself, then each run; {@link #readFloats} reads them as one.
     */
    public static void writeValues(DataOutput out, float[] v, int offset, int length) throws IOException {
        writeBlocks(out, length, Float.BYTES, (b, off, n) -> b.asFloatBuffer().put(v, offset + off, n));
    }

    /** Reads a vector {@link #writeFloats} wrote. */
    public static float[] readFloats(DataInput in) throws IOException {
        int length = readLength(in, "float");
        // The length is trusted as Java's own array deserialization trusts it (see the class comment).
        float[] v = new float[length];
        readBlocks(in, length, Float.BYTES, (b, off, n) -> b.asFloatBuffer().get(v, off, n));
        return v;
    }

    /** Writes a whole double vector, preceded by its length. */
    public static void writeDoubles(DataOutput out, double[] v) throws IOException {
        out.writeInt(v.length);
        writeBlocks(out, v.length, Double.BYTES, (b, off, n) -> b.asDoubleBuffer().put(v, off, n));
    }

    /** Reads a vector {@link #writeDoubles} wrote. */
    public static double[] readDoubles(DataInput in) throws IOException {
        double[] v = new double[readLength(in, "double")];
        readBlocks(in, v.length, Double.BYTES, (b, off, n) -> b.asDoubleBuffer().get(v, off, n));
        return v;
    }

    /** Copies values {@code off .. off + n} of a vector to or from a block (at its start). */
    private interface BlockCopy {
        void copy(ByteBuffer block, int off, int n);
    }

    /** Writes {@code length} values of {@code width} bytes, a block of at most 1 MiB at a time. */
    private static void writeBlocks(DataOutput out, int length, int width, BlockCopy fill) throws IOException {
        byte[] block = new byte[Math.min(BLOCK, width * Math.max(1, length))];
        ByteBuffer b = ByteBuffer.wrap(block).order(ORDER);
        for (int off = 0; off < length; off += block.length / width) {
            int n = Math.min(block.length / width, length - off);
            b.clear();
            fill.copy(b, off, n);
            out.write(block, 0, width * n);
        }
    }

    /** Reads {@code length} values of {@code width} bytes, a block of at most 1 MiB at a time. */
    private static void readBlocks(DataInput in, int length, int width, BlockCopy drain) throws IOException {
        byte[] block = new byte[Math.min(BLOCK, width * Math.max(1, length))];
        ByteBuffer b = ByteBuffer.wrap(block).order(ORDER);
        for (int off = 0; off < length; off += block.length / width) {
            int n = Math.min(block.length / width, length - off);
            in.readFully(block, 0, width * n);
            b.clear();
            drain.copy(b, off, n);
        }
    }

    private static int readLength(DataInput in, String type) throws IOException {
        int length = in.readInt();
        if (length < 0) throw new InvalidObjectException(type + " vector of length " + length);
        return length;
    }
}
