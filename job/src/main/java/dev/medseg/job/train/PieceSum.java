package dev.medseg.job.train;

import dev.medseg.model.train.RawArrays;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * The running sum of one piece over the workers, as Spark's {@code treeAggregate} builds it: values summed in double
 * precision (so the order in which Spark merges partial sums does not change the float result in practice), and each
 * worker's {@link StatePiece.Stats}.
 *
 * <p>A sum of one worker keeps that worker's float piece as it is and widens to double only when a second is merged
 * in: the first level of the tree, one piece per executor, then travels and sits in memory at 4 bytes per value
 * instead of 8. The float result is the same: a float widened to double and divided by 1 narrows back to itself.
 */
public final class PieceSum implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    private int piece = -1;
    /** Stats by worker: every worker of the round exactly once. */
    private TreeMap<Integer, StatePiece.Stats> workers = new TreeMap<>();
    /** The one worker's piece while this sum holds exactly one; null once widened. */
    private transient StatePiece single;
    private transient double[] sum;

    /** Adds one worker's piece. */
    public PieceSum add(StatePiece p) {
        requirePiece(p.piece());
        addWorker(p.stats());
        if (workers.size() == 1) {
            single = p;
        } else {
            widen();
            addInto(sum, p.values());
        }
        return this;
    }

    /** Merges another partial sum of the same piece into this one. */
    public PieceSum merge(PieceSum o) {
        if (o.workers.isEmpty()) return this;
        if (workers.isEmpty()) return o;
        requirePiece(o.piece);
        for (StatePiece.Stats s : o.workers.values()) addWorker(s);
        widen();
        if (o.single != null) {
            addInto(sum, o.single.values());
        } else {
            if (o.sum.length != sum.length) throw new IllegalStateException("piece " + piece + " of " + sum.length + " and " + o.sum.length + " values");
            for (int i = 0; i < sum.length; i++) sum[i] += o.sum[i];
        }
        return this;
    }

    /** Which piece this sums (-1 while empty). */
    public int piece() { return piece; }

    /** Each worker's stats, by worker. */
    public Map<Integer, StatePiece.Stats> workers() { return java.util.Collections.unmodifiableMap(workers); }

    /** The mean over the workers, narrowed to float (one worker's own values when there is one). */
    public float[] mean() {
        if (workers.isEmpty()) throw new IllegalStateException("no worker returned piece " + piece);
        if (single != null) return single.values();
        int n = workers.size();
        float[] out = new float[sum.length];
        for (int i = 0; i < sum.length; i++) out[i] = (float) (sum[i] / n);
        return out;
    }

    private void requirePiece(int p) {
        if (piece >= 0 && p != piece) throw new IllegalStateException("pieces " + piece + " and " + p + " summed together");
        piece = p;
    }

    private void addWorker(StatePiece.Stats s) {
        if (!workers.isEmpty()) {
            long step = workers.firstEntry().getValue().step();
            if (s.step() != step) throw new IllegalStateException("workers ended at different steps: " + step + " and " + s.step());
        }
        if (workers.putIfAbsent(s.worker(), s) != null) {
            throw new IllegalStateException("worker " + s.worker() + " returned piece " + piece + " twice");
        }
    }

    /** Turns a one-worker sum into the double sum (a no-op once widened). */
    private void widen() {
        if (single == null) return;
        float[] v = single.values();
        single = null;
        sum = new double[v.length];
        addInto(sum, v);
    }

    private static void addInto(double[] acc, float[] v) {
        if (v.length != acc.length) throw new IllegalStateException("pieces of " + acc.length + " and " + v.length + " values");
        for (int i = 0; i < acc.length; i++) acc[i] += v[i];
    }

    @Serial
    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        out.writeByte(single != null ? 1 : sum != null ? 2 : 0);
        if (single != null) out.writeObject(single);
        else if (sum != null) RawArrays.writeDoubles(out, sum);
    }

    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        int kind = in.readByte();
        switch (kind) {
            case 0 -> { }
            case 1 -> single = (StatePiece) in.readObject();
            case 2 -> sum = RawArrays.readDoubles(in);
            default -> throw new InvalidObjectException("piece sum of kind " + kind);
        }
        if (workers == null || (kind == 0) != workers.isEmpty()) throw new InvalidObjectException("piece sum without its workers");
    }
}
