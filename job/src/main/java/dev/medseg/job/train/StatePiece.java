package dev.medseg.job.train;

import dev.medseg.model.train.RawArrays;
import dev.medseg.model.train.TrainState;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One piece (see {@link StatePieces}) of one worker's state at the end of a round, with what the worker's steps
 * cost. On the worker it is a view of the state the worker returned (all of a worker's pieces share it, so caching
 * them costs one state, not a copy per piece) and serializes only its own range; once deserialized it owns its values.
 */
public final class StatePiece implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * What a worker's steps did, carried by every one of its pieces so the driver can check that all pieces of a
     * worker come from the same computation.
     */
    public record Stats(int worker, long step, double lossSum, int steps, long images, double computeSeconds,
                        boolean slotsRestarted, double stateFetchSeconds) implements Serializable {
        static Stats of(WorkerSteps.Result r) {
            return new Stats(r.worker(), r.state().step(), r.lossSum(), r.steps(), r.images(), r.computeSeconds(),
                    r.slotsRestarted(), r.stateFetchSeconds());
        }

        /**
         * Whether {@code o} describes the same trajectory: a task recomputed after its cached result was lost trains
         * again, identically unless its optimizer slots had to restart (its compute and fetch times differ either way).
         */
        boolean sameTrajectory(Stats o) {
            return worker == o.worker && step == o.step && Double.compare(lossSum, o.lossSum) == 0 && steps == o.steps
                    && slotsRestarted == o.slotsRestarted;
        }
    }

    private final int piece;
    private final Stats stats;
    /** The piece's own values (after deserialization), or null while it is a view of {@link #source}. */
    private transient float[] values;
    private transient TrainState source;
    private transient StatePieces layout;

    private StatePiece(int piece, Stats stats, float[] values, TrainState source, StatePieces layout) {
        this.piece = piece;
        this.stats = stats;
        this.values = values;
        this.source = source;
        this.layout = layout;
    }

    /** Every piece of a worker's result, as views of its state. */
    public static List<StatePiece> all(WorkerSteps.Result r, StatePieces layout) {
        if (!layout.fits(r.state())) {
            TrainState s = r.state();
            throw new IllegalStateException("worker " + r.worker() + " returned a state of " + s.params().length
                    + " params, " + s.slots().length + " slots and " + s.buffers().length + " buffers; the round expects "
                    + layout);
        }
        Stats stats = Stats.of(r);
        List<StatePiece> out = new ArrayList<>(layout.count());
        for (int p = 0; p < layout.count(); p++) out.add(new StatePiece(p, stats, null, r.state(), layout));
        return out;
    }

    /** A piece that owns its values (one read back from its bytes, say). */
    static StatePiece of(int piece, Stats stats, float[] values) {
        return new StatePiece(piece, stats, values, null, null);
    }

    /** Puts the values into {@code out} at its position (a view copies them straight out of its state). */
    void putValues(java.nio.FloatBuffer out) {
        if (values != null) {
            out.put(values);
        } else {
            layout.forEachSegment(source, piece, (a, off, n) -> out.put(a, off, n));
        }
    }

    public int piece() { return piece; }

    public Stats stats() { return stats; }

    /** How many values the piece holds (without copying a view's values out). */
    public int length() {
        return values != null ? values.length : layout.length(piece);
    }

    /** The values: its own, or a copy out of the state it views (a view is never changed: threads may share it). */
    public float[] values() {
        return values != null ? values : layout.copyOut(source, piece);
    }

    @Serial
    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        if (values != null) {
            RawArrays.writeFloats(out, values, 0, values.length);
        } else {
            out.writeInt(layout.length(piece));
            layout.forEachSegment(source, piece, (a, off, n) -> RawArrays.writeValues(out, a, off, n));
        }
    }

    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        if (piece < 0 || stats == null) throw new InvalidObjectException("state piece " + piece + " without stats");
        values = RawArrays.readFloats(in);
    }
}
