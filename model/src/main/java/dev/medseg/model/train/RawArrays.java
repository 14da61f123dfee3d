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
        byte[] block = new byte[Math.min(BLOCK, 4 * Math.max(1, length))];
        ByteBuffer b = ByteBuffer.wrap(block).order(ORDER);
        for (int off = 0; off < length; off += block.length / 4) {
            int n = Math.min(block.length / 4, length - off);
            b.clear();
            b.asFloatBuffer().put(v, offset + off, n);
            out.write(block, 0, 4 * n);
        }
    }

    /** Reads a vector {@link #writeFloats} wrote. */
    public static float[] readFloats(DataInput in) throws IOException {
        int length = in.readInt();
        if (length < 0) throw new InvalidObjectException("float vector of length " + length);
        // The length is trusted as Java's own array deserialization trusts it (see the class comment).
        float[] v = new float[length];
        byte[] block = new byte[Math.min(BLOCK, 4 * Math.max(1, length))];
        ByteBuffer b = ByteBuffer.wrap(block).order(ORDER);
        for (int off = 0; off < length; off += block.length / 4) {
            int n = Math.min(block.length / 4, length - off);
            in.readFully(block, 0, 4 * n);
            b.clear();
            b.asFloatBuffer().get(v, off, n);
        }
        return v;
    }

    /** Writes a whole double vector, preceded by its length. */
    public static void writeDoubles(DataOutput out, double[] v) throws IOException {
        out.writeInt(v.length);
        byte[] block = new byte[Math.min(BLOCK, 8 * Math.max(1, v.length))];
        ByteBuffer b = ByteBuffer.wrap(block).order(ORDER);
        for (int off = 0; off < v.length; off += block.length / 8) {
            int n = Math.min(block.length / 8, v.length - off);
            b.clear();
            b.asDoubleBuffer().put(v, off, n);
            out.write(block, 0, 8 * n);
        }
    }

    /** Reads a vector {@link #writeDoubles} wrote. */
    public static double[] readDoubles(DataInput in) throws IOException {
        int length = in.readInt();
        if (length < 0) throw new InvalidObjectException("double vector of length " + length);
        double[] v = new double[length];
        byte[] block = new byte[Math.min(BLOCK, 8 * Math.max(1, length))];
        ByteBuffer b = ByteBuffer.wrap(block).order(ORDER);
        for (int off = 0; off < length; off += block.length / 8) {
            int n = Math.min(block.length / 8, length - off);
            in.readFully(block, 0, 8 * n);
            b.clear();
            b.asDoubleBuffer().get(v, off, n);
        }
        return v;
    }
}
