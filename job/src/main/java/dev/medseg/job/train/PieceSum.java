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
 * The running sum of one piece over the workers, as Spark's {@code treeAggregate} builds it, and each worker's
 * {@link StatePiece.Stats}.
 *
 * <p>Up to {@link #MAX_PIECES} workers' float pieces are kept as they are (a first-level sum, one piece per executor,
 * travels at 4 bytes per value, and the driver merging two workers allocates nothing); the mean then sums them in
 * double precision in worker order, so with two workers the result does not depend on the order in which Spark
 * delivers them. Beyond that the sum widens to double (8 bytes per value, no more than two float pieces), where the
 * merge order may move the last bit of the double sum, which narrowing to float hides in practice.
 */
public final class PieceSum implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;
    /** Float pieces kept before the sum widens to double: a double sum is as large as two of them. */
    static final int MAX_PIECES = 2;

    private int piece = -1;
    /** Stats by worker: every worker of the round exactly once. */
    private TreeMap<Integer, StatePiece.Stats> workers = new TreeMap<>();
    /** The workers' float pieces by worker while there are at most {@link #MAX_PIECES}; empty once widened. */
    private transient TreeMap<Integer, StatePiece> pieces = new TreeMap<>();
    private transient double[] sum;

    /** Adds one worker's piece. */
    public PieceSum add(StatePiece p) {
        if (p.stats() == null) throw new IllegalArgumentException("piece " + p.piece() + " is not a worker's");
        requirePiece(p.piece());
        addWorker(p.stats());
        if (sum == null) pieces.put(p.stats().worker(), p);
        else addInto(sum, p.values());
        if (pieces.size() > MAX_PIECES) widen();
        return this;
    }

    /** Merges another partial sum of the same piece into this one. */
    public PieceSum merge(PieceSum o) {
        if (o.workers.isEmpty()) return this;
        if (workers.isEmpty()) return o;
        requirePiece(o.piece);
        for (StatePiece.Stats s : o.workers.values()) addWorker(s);
        if (sum == null && o.sum == null && pieces.size() + o.pieces.size() <= MAX_PIECES) {
            pieces.putAll(o.pieces);
            return this;
        }
        widen();
        for (StatePiece p : o.pieces.values()) addInto(sum, p.values());
        if (o.sum != null) {
            if (o.sum.length != sum.length) throw new IllegalStateException("piece " + piece + " of " + sum.length + " and " + o.sum.length + " values");
            for (int i = 0; i < sum.length; i++) sum[i] += o.sum[i];
        }
        return this;
    }

    /** Which piece this sums (-1 while empty). */
    public int piece() { return piece; }

    /** Each worker's stats, by worker. */
    public Map<Integer, StatePiece.Stats> workers() { return java.util.Collections.unmodifiableMap(workers); }

    /** Values in the piece. */
    int length() {
        if (workers.isEmpty()) throw new IllegalStateException("no worker returned piece " + piece);
        return sum != null ? sum.length : pieces.firstEntry().getValue().length();
    }

    /**
     * Writes the mean of values {@code [from, from + len)} of the piece to {@code out} at {@code at}: the driver puts
     * each run straight into the next state. Each value is {@code (float) (sum / n)} with the sum in double in worker
     * order, whichever loop computes it.
     */
    public void meanInto(int from, int len, float[] out, int at) {
        int n = workers.size(), length = length();
        if (from < 0 || len < 0 || from + len > length || at < 0 || at + len > out.length) {
            throw new IndexOutOfBoundsException("values " + from + "+" + len + " of a piece of " + length + " into "
                    + at + " of " + out.length);
        }
        if (sum != null) {
            double[] s = sum;
            for (int i = 0; i < len; i++) out[at + i] = (float) (s[from + i] / n);
            return;
        }
        float[][] v = pieces.values().stream().map(StatePiece::values).toArray(float[][]::new);
        for (float[] x : v) requireLength(v[0].length, x.length);
        if (v.length == 1) {
            System.arraycopy(v[0], from, out, at, len);
        } else if (v.length == 2) {
            meanOfTwo(v[0], v[1], from, len, out, at);
        } else {
            throw new IllegalStateException(v.length + " float pieces kept, at most " + MAX_PIECES);
        }
    }

    /** Values per run of {@link #meanOfTwo}: each run is checked for a float overflow on its own. */
    static final int MEAN_RUN = 1 << 16;

    /**
     * {@code out[at + i] = (float) ((0.0 + a[from + i] + b[from + i]) * 0.5)} for {@code i < len}, bit for bit, at
     * float speed. The mean is on the driver's critical path once per value of a two-worker round, and the double
     * loop does not vectorize (0.32 s per 105 M values on the build machine, against 0.06 s for this).
     *
     * <p>Why float arithmetic gives the same bits: a + b rounded to double and then to float equals a + b rounded to
     * float once (double rounding of a sum is innocuous when the wide format has at least 2p + 2 bits: 53 >= 50), and
     * halving commutes with rounding except below the smallest normal float, where a sum of two floats is exact
     * anyway. {@code 0f + a} turns -0 into +0 as the double sum from 0.0 does. The one difference is a sum beyond
     * {@code Float.MAX_VALUE} whose half is finite: a run whose result holds an infinity or a NaN is computed again
     * the double way.
     */
    static void meanOfTwo(float[] a, float[] b, int from, int len, float[] out, int at) {
        for (int r = 0; r < len; r += MEAN_RUN) {
            int n = Math.min(MEAN_RUN, len - r), x = from + r, y = at + r;
            for (int i = 0; i < n; i++) out[y + i] = ((0f + a[x + i]) + b[x + i]) * 0.5f;
            float largest = 0f;
            for (int i = 0; i < n; i++) largest = Math.max(largest, Math.abs(out[y + i])); // NaN stays NaN
            if (!(largest <= Float.MAX_VALUE)) {
                for (int i = 0; i < n; i++) out[y + i] = (float) ((0.0 + a[x + i] + b[x + i]) * 0.5);
            }
        }
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

    /** Turns the kept float pieces into the double sum (a no-op once widened). */
    private void widen() {
        if (sum != null) return;
        for (StatePiece p : pieces.values()) {
            float[] v = p.values();
            if (sum == null) sum = new double[v.length];
            addInto(sum, v);
        }
        pieces.clear();
    }

    private static void addInto(double[] acc, float[] v) {
        requireLength(acc.length, v.length);
        for (int i = 0; i < acc.length; i++) acc[i] += v[i];
    }

    private static void requireLength(int a, int b) {
        if (a != b) throw new IllegalStateException("pieces of " + a + " and " + b + " values");
    }

    @Serial
    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        out.writeByte(sum != null ? 2 : 1);
        if (sum != null) {
            RawArrays.writeDoubles(out, sum);
        } else {
            out.writeInt(pieces.size());
            for (StatePiece p : pieces.values()) out.writeObject(p);
        }
    }

    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        pieces = new TreeMap<>();
        int kind = in.readByte();
        if (kind == 2) {
            sum = RawArrays.readDoubles(in);
        } else if (kind == 1) {
            int n = in.readInt();
            if (n < 0 || n > MAX_PIECES) throw new InvalidObjectException("piece sum of " + n + " pieces");
            for (int i = 0; i < n; i++) {
                StatePiece p = (StatePiece) in.readObject();
                pieces.put(p.stats().worker(), p);
            }
        } else {
            throw new InvalidObjectException("piece sum of kind " + kind);
        }
        if (workers == null || (sum == null && pieces.size() != workers.size())) {
            throw new InvalidObjectException("piece sum whose pieces do not match its workers");
        }
    }
}
