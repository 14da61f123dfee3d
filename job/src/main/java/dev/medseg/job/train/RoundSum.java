package dev.medseg.job.train;

import dev.medseg.model.train.TrainState;

import java.util.List;
import java.util.Map;

/**
 * A round's outcome on the driver, assembled piece by piece: the mean of every piece goes into its place in the next
 * state as soon as its sum arrives (so the driver never holds the workers' whole states), and the workers' loss and
 * timing totals. Every piece must come from the same workers with the same trajectory. A round that left its state on
 * the executors ({@link #leftOnExecutors}) has only the totals, and where the state is; the workers of the next round
 * assemble their mean with a {@code RoundSum} of their own.
 */
public final class RoundSum {
    private final StatePieces layout;
    private final boolean[] placed;
    private final TrainState state;
    /** Where the state stayed when the round left it on the executors ({@link PeerExchange}); else null. */
    private final PeerExchange.Left left;
    private Map<Integer, StatePiece.Stats> workers;
    private int missing;

    /** An empty round of states laid out as {@code layout}; allocates the next state's arrays. */
    public RoundSum(StatePieces layout) {
        this.layout = layout;
        this.placed = new boolean[layout.count()];
        this.missing = placed.length;
        this.state = layout.empty(0);
        this.left = null;
    }

    private RoundSum(PeerExchange.Left left) {
        this.layout = null;
        this.placed = new boolean[0];
        this.state = null;
        this.left = left;
        this.workers = new java.util.TreeMap<>(left.workers());
    }

    /**
     * A round whose state stayed on the executors ({@link PeerExchange}): its workers' loss and timing totals, no
     * state.
     */
    public static RoundSum leftOnExecutors(PeerExchange.Left left) {
        if (left.workers().isEmpty()) throw new IllegalStateException("no worker returned a result");
        return new RoundSum(left);
    }

    /** Where the round's state stayed, if it stayed on the executors (else null). */
    PeerExchange.Left left() {
        return left;
    }

    /** The mean of the workers' results, in pieces of at most {@code maxPieceBytes}: a round without Spark. */
    public static RoundSum of(List<WorkerSteps.Result> results, long maxPieceBytes) {
        if (results.isEmpty()) throw new IllegalStateException("no worker returned a result");
        StatePieces layout = StatePieces.of(results.get(0).state(), maxPieceBytes);
        List<List<StatePiece>> pieces = results.stream().map(r -> StatePiece.all(r, layout)).toList();
        RoundSum round = new RoundSum(layout);
        for (int p = 0; p < layout.count(); p++) {
            PieceSum s = new PieceSum();
            for (List<StatePiece> w : pieces) s.add(w.get(p));
            round.accept(p, s);
        }
        return round;
    }

    /** Takes the sum of piece {@code p} over the workers. */
    public void accept(int p, PieceSum sum) {
        if (state == null) throw new IllegalStateException("a round without a state to assemble");
        if (sum.piece() != p) throw new IllegalStateException("expected piece " + p + ", got the sum of piece " + sum.piece());
        if (placed[p]) throw new IllegalStateException("piece " + p + " arrived twice");
        Map<Integer, StatePiece.Stats> w = sum.workers();
        if (workers == null) {
            workers = new java.util.TreeMap<>(w);
        } else {
            requireSameWorkers(p, w);
        }
        layout.fill(p, sum.length(), state, sum::meanInto); // straight into the next state: no piece-sized copy
        placed[p] = true;
        missing--;
    }

    /** The averaged state, once every piece has arrived. */
    public TrainState average() {
        if (state == null) throw new IllegalStateException("the round's state stayed on the executors");
        if (missing > 0) throw new IllegalStateException(missing + " of " + placed.length + " pieces of the round's state did not arrive");
        return new TrainState(step(), state.params(), state.slots(), state.buffers());
    }

    /** The step the workers reached. */
    public long step() {
        if (workers == null) throw new IllegalStateException("no piece arrived");
        return workers.values().iterator().next().step();
    }

    public int workers() { return workers == null ? 0 : workers.size(); }

    /** Mean training loss over all steps of all workers this round. */
    public double meanLoss() {
        long steps = stats().mapToLong(StatePiece.Stats::steps).sum();
        return steps == 0 ? Double.NaN : stats().mapToDouble(StatePiece.Stats::lossSum).sum() / steps;
    }

    public long images() { return stats().mapToLong(StatePiece.Stats::images).sum(); }

    /** The slowest worker's compute time: the round's critical path. */
    public double maxComputeSeconds() { return stats().mapToDouble(StatePiece.Stats::computeSeconds).max().orElse(0); }

    /** The longest any worker waited for the round's start state (a broadcast's fetch) before loading it. */
    public double maxStateFetchSeconds() { return stats().mapToDouble(StatePiece.Stats::stateFetchSeconds).max().orElse(0); }

    public double totalComputeSeconds() { return stats().mapToDouble(StatePiece.Stats::computeSeconds).sum(); }

    /** Workers that had to restart their optimizer slots from zero this round (their task ran away from them). */
    public int slotRestarts() { return (int) stats().filter(StatePiece.Stats::slotsRestarted).count(); }

    private java.util.stream.Stream<StatePiece.Stats> stats() {
        return workers == null ? java.util.stream.Stream.empty()
                : workers.values().stream(); // by worker: the same sums every time
    }

    private void requireSameWorkers(int p, Map<Integer, StatePiece.Stats> w) {
        if (!w.keySet().equals(workers.keySet())) {
            throw new IllegalStateException("piece " + p + " came from workers " + w.keySet() + ", piece 0 from " + workers.keySet());
        }
        for (var e : w.entrySet()) {
            if (!e.getValue().sameTrajectory(workers.get(e.getKey()))) {
                throw new IllegalStateException("worker " + e.getKey() + "'s pieces come from two different computations "
                        + "(its task ran again mid-round, likely after its executor was lost, and its optimizer state had "
                        + "to restart): " + workers.get(e.getKey()) + " and " + e.getValue() + "; resume from the last checkpoint");
            }
        }
    }
}
