package dev.medseg.model.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.concurrent.Phaser;

/**
 * The replicas of one training step meeting at their {@link ReplicaSum} nodes: each puts its part in, waits for
 * the others, and computes the same sum in replica order (so every replica goes on with identical values). Made
 * per step; {@link #abort} after a replica fails releases the others with an error instead of leaving them waiting.
 */
public final class ReplicaGroup {
    private final int size;
    private final INDArray[] parts;
    private final Phaser phaser;
    private volatile Throwable failure;

    public ReplicaGroup(int size) {
        if (size < 1) throw new IllegalArgumentException("replica group of " + size);
        this.size = size;
        this.parts = new INDArray[size];
        this.phaser = new Phaser(size);
    }

    public int size() {
        return size;
    }

    /** Replica {@code r}'s handle. */
    public Member member(int r) {
        if (r < 0 || r >= size) throw new IllegalArgumentException("replica " + r + " of " + size);
        return new Member(this, r);
    }

    /** Releases every replica waiting now or later with an error naming {@code cause}; the first cause is kept. */
    public void abort(Throwable cause) {
        synchronized (this) {
            if (failure == null) failure = cause;
        }
        phaser.forceTermination();
    }

    /** The failure that aborted the group, or null. */
    public Throwable failure() {
        return failure;
    }

    /** out = Σ_s part_s for replica r's part x (out and x of the same shape). */
    void sum(int r, INDArray x, INDArray out) {
        parts[r] = x;
        await();
        out.assign(parts[0]);
        for (int s = 1; s < size; s++) out.addi(parts[s]);
        await(); // every replica has read every part before any frees or reuses its own
        parts[r] = null;
    }

    private void await() {
        if (phaser.arriveAndAwaitAdvance() < 0) {
            Throwable f = failure;
            throw new IllegalStateException("another replica of the step failed" + (f == null ? "" : ": " + f), f);
        }
    }

    /** One replica's place in the group. */
    public record Member(ReplicaGroup group, int index) {}
}
