package dev.medseg.job.train;

import dev.medseg.model.train.TrainState;

import java.io.Serializable;

/**
 * The running sum of worker results that {@code treeAggregate} builds: parameters, optimizer slots and buffers
 * summed in double precision (so the order in which Spark merges partial sums does not change the float result in
 * practice), plus loss and timing totals. {@link #average()} gives the next round's state.
 *
 * <p>A sum of one worker keeps that worker's float state as it is ({@link #single}) and widens to double only when a
 * second sum is merged in: the first level of the tree, one result per executor, then travels and sits in memory at
 * 4 bytes per value instead of 8 (half the aggregation traffic, and no double copy on the executors). The float
 * result is the same: a float widened to double and divided by 1 narrows back to itself.
 */
public final class RoundSum implements Serializable {
    /** The one worker's state while this sum holds exactly one; null once widened to the double arrays. */
    private TrainState single;
    private double[] params;
    private double[][] slots;
    private double[] buffers;
    private long step = -1;
    private int workers;
    private double lossSum;
    private long steps;
    private long images;
    private double computeSeconds;
    private double maxComputeSeconds;
    private int slotRestarts;

    /** Adds one worker's result. */
    public RoundSum add(WorkerSteps.Result r) {
        TrainState s = r.state();
        if (workers == 0) {
            single = s;
            step = s.step();
        } else {
            requireStep(s.step());
            widen();
            addState(s);
        }
        workers++;
        lossSum += r.lossSum();
        steps += r.steps();
        images += r.images();
        computeSeconds += r.computeSeconds();
        maxComputeSeconds = Math.max(maxComputeSeconds, r.computeSeconds());
        if (r.slotsRestarted()) slotRestarts++;
        return this;
    }

    /** Merges another partial sum into this one. */
    public RoundSum merge(RoundSum o) {
        if (o.workers == 0) return this;
        if (workers == 0) return o;
        requireStep(o.step);
        widen();
        if (o.single != null) {
            addState(o.single);
        } else {
            requireSlots(o.slots.length);
            addInto(params, o.params);
            for (int k = 0; k < slots.length; k++) addInto(slots[k], o.slots[k]);
            addInto(buffers, o.buffers);
        }
        workers += o.workers;
        lossSum += o.lossSum;
        steps += o.steps;
        images += o.images;
        computeSeconds += o.computeSeconds;
        maxComputeSeconds = Math.max(maxComputeSeconds, o.maxComputeSeconds);
        slotRestarts += o.slotRestarts;
        return this;
    }

    /** The averaged state. */
    public TrainState average() {
        if (workers == 0) throw new IllegalStateException("no worker returned a result");
        if (single != null) return single;
        float[][] s = new float[slots.length][];
        for (int k = 0; k < s.length; k++) s[k] = mean(slots[k]);
        return new TrainState(step, mean(params), s, mean(buffers));
    }

    public int workers() { return workers; }
    /** Mean training loss over all steps of all workers this round. */
    public double meanLoss() { return steps == 0 ? Double.NaN : lossSum / steps; }
    public long images() { return images; }
    /** The slowest worker's compute time: the round's critical path. */
    public double maxComputeSeconds() { return maxComputeSeconds; }
    public double totalComputeSeconds() { return computeSeconds; }
    /** Workers that had to restart their optimizer slots from zero this round (their task ran away from them). */
    public int slotRestarts() { return slotRestarts; }

    private void requireStep(long other) {
        if (other != step) throw new IllegalStateException("workers ended at different steps: " + step + " and " + other);
    }

    private void requireSlots(int other) {
        if (other != slots.length) {
            throw new IllegalStateException("workers returned " + slots.length + " and " + other + " optimizer slots");
        }
    }

    /** Turns a one-worker sum into the double arrays (a no-op once widened). */
    private void widen() {
        if (single == null) return;
        TrainState s = single;
        single = null;
        params = new double[s.params().length];
        slots = new double[s.slots().length][s.params().length];
        buffers = new double[s.buffers().length];
        addState(s);
    }

    /** Adds one worker's float state into the (widened) double sums. */
    private void addState(TrainState s) {
        requireSlots(s.slots().length);
        addInto(params, s.params());
        for (int k = 0; k < slots.length; k++) addInto(slots[k], s.slots()[k]);
        addInto(buffers, s.buffers());
    }

    private float[] mean(double[] sum) {
        float[] out = new float[sum.length];
        for (int i = 0; i < sum.length; i++) out[i] = (float) (sum[i] / workers);
        return out;
    }

    private static void addInto(double[] acc, float[] v) {
        for (int i = 0; i < acc.length; i++) acc[i] += v[i];
    }

    private static void addInto(double[] acc, double[] v) {
        for (int i = 0; i < acc.length; i++) acc[i] += v[i];
    }
}
