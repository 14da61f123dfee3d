package dev.medseg.job.train;

import dev.medseg.model.train.TrainState;

import java.io.Serializable;

/**
 * How a round's trainable state is cut into pieces for the trip back to the driver. The state is read as one vector
 * (parameters, then each optimizer slot, then the buffers) cut into {@link #count()} contiguous ranges of at most
 * {@code maxPieceValues} values. Why pieces: a worker's whole state is 0.4-1.3 GB at full size, and Spark fetches a
 * task result above {@code spark.network.maxRemoteBlockSizeFetchToMem} (200 MB) through a temporary file on the
 * driver's disk, keeps two serialized copies of it on the executor, and has the driver hold N of them at once; pieces
 * of 64 MiB travel in memory, one group at a time.
 *
 * @param params         parameter count (each optimizer slot is as long)
 * @param slots          optimizer slots exchanged this round (0 when the workers keep theirs)
 * @param buffers        batch-statistics buffer count
 * @param maxPieceValues the largest piece, in values
 */
public record StatePieces(int params, int slots, int buffers, int maxPieceValues) implements Serializable {
    /** Checks the sizes. */
    public StatePieces {
        if (params < 0 || slots < 0 || buffers < 0 || maxPieceValues < 1) {
            throw new IllegalArgumentException("bad state layout: " + params + " params, " + slots + " slots, "
                    + buffers + " buffers, pieces of " + maxPieceValues);
        }
    }

    /** The layout of states shaped like {@code s} (with the slots it carries), in pieces of at most {@code maxPieceBytes}. */
    public static StatePieces of(TrainState s, long maxPieceBytes) {
        return new StatePieces(s.params().length, s.slots().length, s.buffers().length,
                (int) Math.max(1, Math.min(Integer.MAX_VALUE - 8, maxPieceBytes / Float.BYTES)));
    }

    /** Values in the whole state. */
    public long total() {
        return (long) params * (1 + slots) + buffers;
    }

    /** How many pieces (at least one, even for an empty state). */
    public int count() {
        return (int) Math.max(1, (total() + maxPieceValues - 1) / maxPieceValues);
    }

    /** Where piece {@code p} starts in the whole state. */
    public long start(int p) {
        check(p);
        return total() * p / count();
    }

    /** Values in piece {@code p}: pieces differ in length by at most one. */
    public int length(int p) {
        check(p);
        return (int) ((p == count() - 1 ? total() : start(p + 1)) - start(p));
    }

    /** Whether {@code s} has this layout's shape. */
    public boolean fits(TrainState s) {
        return s.params().length == params && s.slots().length == slots && s.buffers().length == buffers;
    }

    /** A run of values inside one vector of a state. */
    public interface SegmentVisitor<E extends Exception> {
        void visit(float[] array, int offset, int length) throws E;
    }

    /** Visits, in order, the runs of {@code s}'s vectors that make up piece {@code p}. */
    public <E extends Exception> void forEachSegment(TrainState s, int p, SegmentVisitor<E> visit) throws E {
        requireFits(s);
        long at = start(p);
        int left = length(p);
        while (left > 0) {
            Segment seg = segmentAt(s, at);
            int n = Math.min(left, seg.array.length - seg.offset);
            visit.visit(seg.array, seg.offset, n);
            at += n;
            left -= n;
        }
    }

    /** Piece {@code p} of {@code s} as a new array. */
    public float[] copyOut(TrainState s, int p) {
        float[] out = new float[length(p)];
        int[] o = {0};
        forEachSegment(s, p, (a, off, n) -> {
            System.arraycopy(a, off, out, o[0], n);
            o[0] += n;
        });
        return out;
    }

    /** Where a piece's values come from: writes values {@code from .. from + n} of the piece to {@code array} at {@code offset}. */
    public interface PieceSource {
        void copyTo(int from, int n, float[] array, int offset);
    }

    /** Fills piece {@code p} of {@code s}, run by run, from a source of {@code length} values. */
    public void fill(int p, int length, TrainState s, PieceSource source) {
        if (length != length(p)) {
            throw new IllegalArgumentException("piece " + p + " has " + length(p) + " values, got " + length);
        }
        int[] from = {0};
        forEachSegment(s, p, (a, off, n) -> {
            source.copyTo(from[0], n, a, off);
            from[0] += n;
        });
    }

    /** A state of this shape, all zeros, at {@code step}: what the pieces are copied into. */
    public TrainState empty(long step) {
        float[][] s = new float[slots][];
        for (int i = 0; i < slots; i++) s[i] = new float[params];
        return new TrainState(step, new float[params], s, new float[buffers]);
    }

    private record Segment(float[] array, int offset) {}

    /** The vector of {@code s} that holds value {@code at} of the whole state, and the offset in it. */
    private Segment segmentAt(TrainState s, long at) {
        long vector = params == 0 ? slots + 1 : Math.min(at / params, slots + 1);
        if (vector <= slots) return new Segment(vector == 0 ? s.params() : s.slots()[(int) vector - 1], (int) (at - vector * params));
        return new Segment(s.buffers(), (int) (at - (long) params * (1 + slots)));
    }

    private void check(int p) {
        if (p < 0 || p >= count()) throw new IndexOutOfBoundsException("piece " + p + " of " + count());
    }

    private void requireFits(TrainState s) {
        if (!fits(s)) {
            throw new IllegalArgumentException("a state of " + s.params().length + " params, " + s.slots().length
                    + " slots and " + s.buffers().length + " buffers does not fit the layout " + this);
        }
    }
}
