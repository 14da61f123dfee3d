package dev.medseg.model.train;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Everything that changes during training, as flat float vectors laid out by the model's {@link ParamLayout}s:
 * trainable parameters, the optimizer's slots (same layout as the parameters), and the batch-statistics buffers
 * (BatchNorm running mean/var). Plain arrays so it travels cheaply between Spark driver and executors and into
 * checkpoints; frozen weights are never part of it.
 *
 * @param step    optimizer updates done so far (Adam's bias correction counts from it)
 * @param params  trainable parameters
 * @param slots   optimizer state vectors, each as long as {@code params}
 * @param buffers batch-statistics buffers
 */
public record TrainState(long step, float[] params, float[][] slots, float[] buffers) implements Serializable {

    /** Checks that the slots match the parameters. */
    public TrainState {
        for (float[] s : slots) {
            if (s.length != params.length) {
                throw new IllegalArgumentException("optimizer slot of " + s.length + " values for " + params.length + " parameters");
            }
        }
    }

    /** Java serialization (Spark's broadcasts and task results) goes through {@link Wire}. */
    @Serial
    private Object writeReplace() {
        return new Wire(this);
    }

    /**
     * The serialized form: step, slot count, then each vector through {@link RawArrays} (raw floats in 1 MiB blocks,
     * several times faster than Java's element-by-element float[]).
     */
    private static final class Wire implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
        /** More optimizer slots than any optimizer keeps means a corrupt stream. */
        private static final int MAX_SLOTS = 8;
        private transient TrainState state;

        Wire(TrainState state) {
            this.state = state;
        }

        @Serial
        private void writeObject(ObjectOutputStream out) throws IOException {
            out.writeLong(state.step);
            out.writeInt(state.slots.length);
            RawArrays.writeFloats(out, state.params, 0, state.params.length);
            for (float[] s : state.slots) RawArrays.writeFloats(out, s, 0, s.length);
            RawArrays.writeFloats(out, state.buffers, 0, state.buffers.length);
        }

        @Serial
        private void readObject(ObjectInputStream in) throws IOException {
            long step = in.readLong();
            int k = in.readInt();
            if (k < 0 || k > MAX_SLOTS) throw new InvalidObjectException("train state with " + k + " optimizer slots");
            float[] params = RawArrays.readFloats(in);
            float[][] slots = new float[k][];
            for (int i = 0; i < k; i++) slots[i] = RawArrays.readFloats(in);
            float[] buffers = RawArrays.readFloats(in);
            try {
                state = new TrainState(step, params, slots, buffers);
            } catch (IllegalArgumentException e) {
                throw new InvalidObjectException(e.getMessage());
            }
        }

        @Serial
        private Object readResolve() {
            return state;
        }
    }

    /** The same state without the optimizer slots (what a worker that keeps its slots exchanges); shares the arrays. */
    public TrainState withoutSlots() {
        return new TrainState(step, params, new float[0][], buffers);
    }

    /**
     * Whether every optimizer slot value is +0.0, as a new optimizer's are (bit for bit: a -0.0 would not be what
     * resetting the slots gives).
     */
    public boolean slotsAreZero() {
        for (float[] s : slots) {
            for (float v : s) if (Float.floatToRawIntBits(v) != 0) return false;
        }
        return true;
    }

    /** A deep copy. */
    public TrainState copy() {
        float[][] s = new float[slots.length][];
        for (int i = 0; i < s.length; i++) s[i] = slots[i].clone();
        return new TrainState(step, params.clone(), s, buffers.clone());
    }

    /** Whether every value is bit-identical (NaNs with equal bits count as equal). */
    public boolean sameAs(TrainState o) {
        if (step != o.step || slots.length != o.slots.length) return false;
        for (int i = 0; i < slots.length; i++) if (!Arrays.equals(slots[i], o.slots[i])) return false;
        return Arrays.equals(params, o.params) && Arrays.equals(buffers, o.buffers);
    }

    /** The largest absolute difference between the parameters of two states. */
    public double maxParamDifference(TrainState o) {
        if (params.length != o.params.length) throw new IllegalArgumentException("states of different models");
        double m = 0;
        for (int i = 0; i < params.length; i++) m = Math.max(m, Math.abs(params[i] - o.params[i]));
        return m;
    }
}
