package dev.medseg.model.train;

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
