package dev.medseg.model.train;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Whole flat float vectors between the Java heap and ND4J, in one native copy each way. ND4J's own paths go value
 * by value through an indexer ({@code Nd4j.createFromArray} then {@code assign}; {@code toFloatVector} duplicates
 * the array first): for TransUNet's 105 M parameters that was ~0.2 s of every round's load on a worker.
 */
final class FloatVectors {
    private FloatVectors() {}

    /** The values of {@code v} as a new array. */
    static float[] read(INDArray v) {
        FloatPointer p = hostPointer(v);
        if (p == null) return v.toFloatVector();
        float[] out = new float[(int) v.length()];
        p.get(out, 0, out.length);
        return out;
    }

    /** Overwrites {@code target} (as long as {@code values}) with {@code values}. */
    static void write(INDArray target, float[] values) {
        if (target.length() != values.length) {
            throw new IllegalArgumentException("a vector of " + target.length() + " values, given " + values.length);
        }
        FloatPointer p = hostPointer(target);
        if (p != null) {
            p.put(values, 0, values.length);
            return;
        }
        // Another backend (CUDA keeps a device copy in sync): a bulk-created buffer, then ND4J's assign.
        INDArray tmp = Nd4j.create(Nd4j.createBufferDetached(values), new long[]{values.length});
        target.assign(tmp);
        if (tmp.closeable()) tmp.close();
    }

    /** Whether {@code v} is copied in one native copy (true for a whole float vector on the CPU backend). */
    static boolean copiesInBulk(INDArray v) {
        return hostPointer(v) != null;
    }

    /**
     * The memory of {@code v} when it may be copied to and from directly: the CPU backend (one host buffer) and a
     * float vector that is its whole buffer, from its start. Null otherwise.
     */
    private static FloatPointer hostPointer(INDArray v) {
        if (!Nd4j.getEnvironment().isCPU() || v.dataType() != DataType.FLOAT || v.length() > Integer.MAX_VALUE - 8) return null;
        if (v.rank() > 2 || !v.isVectorOrScalar() || v.offset() != 0 || v.data().offset() != 0
                || v.data().length() != v.length() || (v.length() > 1 && v.elementWiseStride() != 1)) {
            return null;
        }
        return v.data().pointer() instanceof FloatPointer p && p.position() == 0 ? p : null;
    }
}
