package dev.medseg.job.train;

import dev.medseg.model.train.TrainState;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class RoundSumTest {
    static final int N = 10_000;
    /** Pieces of 1,000 values: a state of 2 x 10,000 + 3 values is 21 pieces, some spanning two vectors. */
    static final long PIECE_BYTES = 4_000;

    static WorkerSteps.Result result(int worker, long step, float base) {
        float[] p = new float[N], m = new float[N], b = new float[3];
        for (int i = 0; i < N; i++) {
            p[i] = base + i * 1e-3f;
            m[i] = -base * i;
        }
        b[0] = base;
        return new WorkerSteps.Result(worker, new TrainState(step, p, new float[][]{m}, b), 2.0 * (worker + 1), 2, 4, 1.5 + worker);
    }

    static byte[] serialize(Object o) throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (var out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    @SuppressWarnings("unchecked")
    /** A piece's whole mean, as the driver writes it into the next state. */
    static float[] mean(PieceSum s) {
        float[] out = new float[s.length()];
        s.meanInto(0, out.length, out, 0);
        return out;
    }

    /** Puts {@code values} (piece {@code p}) into its place in {@code s}, as the driver puts a piece's mean. */
    static void copyIn(StatePieces layout, float[] values, int p, TrainState s) {
        layout.fill(p, values.length, s, (from, n, a, off) -> System.arraycopy(values, from, a, off, n));
    }

    static <T> T roundTrip(T o) throws IOException, ClassNotFoundException {
        try (var in = new ObjectInputStream(new ByteArrayInputStream(serialize(o)))) {
            return (T) in.readObject();
        }
    }

    @Test
    void piecesCoverTheStateOnceAndPutItBackTogether() {
        TrainState s = result(0, 7, 0.37f).state();
        StatePieces layout = StatePieces.of(s, PIECE_BYTES);
        assertEquals(21, layout.count());
        long covered = 0;
        TrainState back = layout.empty(s.step());
        for (int p = 0; p < layout.count(); p++) {
            assertEquals(covered, layout.start(p));
            assertTrue(layout.length(p) <= 1000 && layout.length(p) >= 20_003 / 21, "pieces differ by at most one value: " + layout.length(p));
            covered += layout.length(p);
            copyIn(layout, layout.copyOut(s, p), p, back);
        }
        assertEquals(2L * N + 3, covered);
        assertTrue(back.sameAs(s));
        assertThrows(IllegalArgumentException.class, () -> copyIn(layout, new float[3], 0, back));
        assertThrows(IndexOutOfBoundsException.class, () -> layout.length(21));
    }

    @Test
    void aStateWithoutSlotsOrBuffersIsCutAlike() {
        TrainState s = result(0, 1, 0.5f).state().withoutSlots();
        StatePieces layout = StatePieces.of(s, PIECE_BYTES);
        assertEquals(11, layout.count());
        TrainState back = layout.empty(1);
        for (int p = 0; p < layout.count(); p++) copyIn(layout, layout.copyOut(s, p), p, back);
        assertTrue(back.sameAs(s));
        StatePieces empty = new StatePieces(0, 0, 0, 10);
        assertEquals(1, empty.count());
        assertEquals(0, empty.length(0));
    }

    @Test
    void oneOrTwoWorkersPiecesTravelAsTheirOwnFloatRangesAndMoreAsADoubleSum() throws Exception {
        WorkerSteps.Result r = result(0, 7, 0.37f);
        StatePieces layout = StatePieces.of(r.state(), PIECE_BYTES);
        int len = layout.length(10);
        StatePiece piece = StatePiece.all(r, layout).get(10); // spans the end of the params and the start of the slot
        PieceSum one = new PieceSum().add(piece);
        byte[] bytes = serialize(one);
        assertTrue(bytes.length > 4 * len && bytes.length < 4 * len + 1024, "one worker's piece: " + bytes.length + " bytes for " + len + " values");
        PieceSum back = roundTrip(one);
        assertArrayEquals(layout.copyOut(r.state(), 10), mean(back));
        assertEquals(one.workers(), back.workers());
        PieceSum two = back.merge(new PieceSum().add(StatePiece.all(result(1, 7, 0.11f), layout).get(10)));
        int size = serialize(two).length;
        assertTrue(size > 2 * 4 * len && size < 2 * 4 * len + 4096, "two workers' pieces as float: " + size);
        assertArrayEquals(mean(two), mean((PieceSum) roundTrip(two)));
        PieceSum five = two;
        for (int w = 2; w < 5; w++) five = five.merge(new PieceSum().add(StatePiece.all(result(w, 7, 0.1f * w), layout).get(10)));
        size = serialize(five).length;
        assertTrue(size > 8 * len && size < 8 * len + 4096, "more workers widen to one double sum: " + size);
        assertArrayEquals(mean(five), mean((PieceSum) roundTrip(five)));
        assertEquals(5, five.workers().size());
    }

    @Test
    void averageIsTheDoubleMeanNarrowedOnceWhateverTheTreeShapeOrPieceSize() {
        WorkerSteps.Result a = result(0, 3, 0.1f), b = result(1, 3, 0.7f), c = result(2, 3, 1.3f);
        StatePieces layout = StatePieces.of(a.state(), PIECE_BYTES);
        List<List<StatePiece>> pieces = List.of(StatePiece.all(a, layout), StatePiece.all(b, layout), StatePiece.all(c, layout));
        RoundSum tree = new RoundSum(layout);
        for (int p = layout.count() - 1; p >= 0; p--) { // any order of pieces, any shape of tree
            PieceSum s = new PieceSum().merge(new PieceSum().add(pieces.get(2).get(p))).merge(new PieceSum())
                    .merge(new PieceSum().add(pieces.get(0).get(p)).add(pieces.get(1).get(p)));
            tree.accept(p, s);
        }
        TrainState flat = RoundSum.of(List.of(a, b, c), 64 << 20).average();
        for (int i = 0; i < N; i += 997) {
            double p = (0.0 + a.state().params()[i] + b.state().params()[i] + c.state().params()[i]) / 3;
            assertEquals((float) p, flat.params()[i]);
            double m = (0.0 + a.state().slots()[0][i] + b.state().slots()[0][i] + c.state().slots()[0][i]) / 3;
            assertEquals((float) m, flat.slots()[0][i]);
        }
        assertTrue(flat.sameAs(tree.average()));
        assertEquals(3, flat.step());
        assertTrue(RoundSum.of(List.of(a), PIECE_BYTES).average().sameAs(a.state()), "one worker's state unchanged");
    }

    @Test
    void twoWorkersMeanIsTheDoubleDivisionByTwoEvenAtTheEdgesOfFloat() {
        float[] xs = {0f, -0f, 1f, 3f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, Float.MIN_NORMAL, 1e-45f,
                16777217f, 0.1f, -0.7f, 1e30f, 1e-30f, Float.NaN, Float.POSITIVE_INFINITY};
        int n = xs.length * xs.length;
        float[] a = new float[n], b = new float[n];
        for (int i = 0; i < xs.length; i++) {
            for (int j = 0; j < xs.length; j++) {
                a[i * xs.length + j] = xs[i];
                b[i * xs.length + j] = xs[j];
            }
        }
        WorkerSteps.Result ra = new WorkerSteps.Result(0, new TrainState(1, a, new float[0][], new float[0]), 0, 1, 1, 1);
        WorkerSteps.Result rb = new WorkerSteps.Result(1, new TrainState(1, b, new float[0][], new float[0]), 0, 1, 1, 1);
        StatePieces layout = StatePieces.of(ra.state(), 1 << 20);
        PieceSum two = new PieceSum().add(StatePiece.all(ra, layout).get(0)).merge(new PieceSum().add(StatePiece.all(rb, layout).get(0)));
        float[] out = new float[n + 5];
        two.meanInto(0, n, out, 5);
        for (int k = 0; k < n; k++) {
            float expected = (float) ((0.0 + a[k] + b[k]) / 2);
            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(out[5 + k]), a[k] + " and " + b[k]);
        }
        float[] part = new float[3];
        two.meanInto(7, 3, part, 0);
        assertArrayEquals(java.util.Arrays.copyOfRange(out, 12, 15), part);
        assertThrows(IndexOutOfBoundsException.class, () -> two.meanInto(n - 2, 3, new float[3], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> two.meanInto(0, 3, new float[3], 1));
    }

    /** A float with random sign and mantissa and an exponent field in [0, maxExponent] (0: subnormal). */
    static float randomFloat(java.util.SplittableRandom r, int maxExponent) {
        return Float.intBitsToFloat((r.nextInt() & 0x807FFFFF) | (r.nextInt(maxExponent + 1) << 23));
    }

    @Test
    void twoWorkersFloatMeanHasTheDoubleMeansBitsOverRandomFloatsAndFallsBackWhereTheSumOverflows() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        int n = 4 * PieceSum.MEAN_RUN * 8 + 321, from = 7, at = 3;
        float[] a = new float[from + n], b = new float[from + n];
        for (int i = 0; i < a.length; i++) {
            a[i] = randomFloat(r, 253); // below 2^127: no sum of two overflows
            b[i] = switch (i % 4) {
                case 0 -> randomFloat(r, 253);
                case 1 -> Float.intBitsToFloat(Float.floatToRawIntBits(a[i]) ^ (r.nextInt() & 0x807FFFFF)); // same exponent
                case 2 -> -a[i] * (1 + r.nextInt(3) * 0x1p-23f); // cancellation
                default -> randomFloat(r, 24); // tiny and subnormal
            };
        }
        float[][] edges = {{-0f, -0f}, {-0f, 0f}, {Float.MIN_VALUE, Float.MIN_VALUE}, {Float.MIN_VALUE, 0f},
                {-Float.MIN_VALUE, 3 * Float.MIN_VALUE}, {Float.MIN_NORMAL, -Float.MIN_VALUE}, {0x1p126f, 0x1p126f}};
        for (int k = 0; k < edges.length; k++) { // in the first run, computed the float way
            a[from + 100 + k] = edges[k][0];
            b[from + 100 + k] = edges[k][1];
        }
        int overflowRun = 2, nanRun = 5; // one run whose float sum overflows, one with a NaN: both the double way
        a[from + overflowRun * PieceSum.MEAN_RUN + 9] = Float.MAX_VALUE;
        b[from + overflowRun * PieceSum.MEAN_RUN + 9] = Float.MAX_VALUE;
        a[from + nanRun * PieceSum.MEAN_RUN + 1] = Float.NaN;
        float[] out = new float[at + n];
        PieceSum.meanOfTwo(a, b, from, n, out, at);
        for (int i = 0; i < n; i++) {
            float expected = (float) ((0.0 + a[from + i] + b[from + i]) * 0.5);
            if (Float.floatToIntBits(expected) != Float.floatToIntBits(out[at + i])) {
                fail("mean of " + a[from + i] + " and " + b[from + i] + ": " + out[at + i] + ", the double mean is " + expected);
            }
        }
        assertEquals(Float.MAX_VALUE, out[at + overflowRun * PieceSum.MEAN_RUN + 9]);
        assertEquals(Float.floatToIntBits(0f), Float.floatToIntBits(out[at + 100]), "-0 and -0 average to +0");
    }

    @Test
    void countsLossAndTheSlowestWorker() {
        RoundSum s = RoundSum.of(List.of(result(0, 1, 0f), result(1, 1, 1f)), PIECE_BYTES);
        assertEquals(2, s.workers());
        assertEquals((2.0 + 4.0) / 4, s.meanLoss(), 1e-12);
        assertEquals(8, s.images());
        assertEquals(2.5, s.maxComputeSeconds(), 1e-12);
        assertEquals(4.0, s.totalComputeSeconds(), 1e-12);
        assertEquals(0, s.maxStateFetchSeconds(), "no broadcast, no wait");
        var a = result(0, 1, 0f);
        var b = result(1, 1, 1f);
        RoundSum fetched = RoundSum.of(List.of(
                new WorkerSteps.Result(0, a.state(), a.lossSum(), a.steps(), a.images(), a.computeSeconds(), false, 0.25),
                new WorkerSteps.Result(1, b.state(), b.lossSum(), b.steps(), b.images(), b.computeSeconds(), false, 0.75)),
                PIECE_BYTES);
        assertEquals(0.75, fetched.maxStateFetchSeconds(), 1e-12);
    }

    @Test
    void workersAtDifferentStepsOrTwiceAreAnError() {
        StatePieces layout = StatePieces.of(result(0, 5, 0f).state(), PIECE_BYTES);
        PieceSum s = new PieceSum().add(StatePiece.all(result(0, 5, 0f), layout).get(0));
        var e = assertThrows(IllegalStateException.class,
                () -> s.merge(new PieceSum().add(StatePiece.all(result(1, 6, 0f), layout).get(0))));
        assertTrue(e.getMessage().contains("5 and 6"), e.getMessage());
        var twice = assertThrows(IllegalStateException.class, () -> s.add(StatePiece.all(result(0, 5, 0f), layout).get(0)));
        assertTrue(twice.getMessage().contains("worker 0 returned piece 0 twice"), twice.getMessage());
        assertThrows(IllegalStateException.class, () -> s.add(StatePiece.all(result(1, 5, 0f), layout).get(1)));
        assertThrows(IllegalStateException.class, () -> new RoundSum(layout).average());
    }

    @Test
    void piecesFromDifferentWorkersOrAnotherComputationAreRefused() {
        WorkerSteps.Result a = result(0, 5, 0f), b = result(1, 5, 1f);
        StatePieces layout = StatePieces.of(a.state(), PIECE_BYTES);
        RoundSum round = new RoundSum(layout);
        round.accept(0, new PieceSum().add(StatePiece.all(a, layout).get(0)).add(StatePiece.all(b, layout).get(0)));
        var missing = assertThrows(IllegalStateException.class,
                () -> round.accept(1, new PieceSum().add(StatePiece.all(a, layout).get(1))));
        assertTrue(missing.getMessage().contains("piece 1 came from workers [0], piece 0 from [0, 1]"), missing.getMessage());
        // Worker 1 trained again with its optimizer state restarted: its later pieces are of another trajectory.
        var again = new WorkerSteps.Result(1, b.state(), b.lossSum(), b.steps(), b.images(), 9.0, true);
        var mixed = assertThrows(IllegalStateException.class, () -> round.accept(1,
                new PieceSum().add(StatePiece.all(a, layout).get(1)).add(StatePiece.all(again, layout).get(1))));
        assertTrue(mixed.getMessage().contains("two different computations"), mixed.getMessage());
        // The same computation timed differently (recomputed identically) is fine.
        var retimed = new WorkerSteps.Result(1, b.state(), b.lossSum(), b.steps(), b.images(), 9.0, false);
        round.accept(1, new PieceSum().add(StatePiece.all(a, layout).get(1)).add(StatePiece.all(retimed, layout).get(1)));
        var wrongShape = assertThrows(IllegalStateException.class, () -> StatePiece.all(
                new WorkerSteps.Result(0, a.state().withoutSlots(), 0, 1, 1, 1), layout));
        assertTrue(wrongShape.getMessage().contains("worker 0 returned a state of 10000 params, 0 slots"), wrongShape.getMessage());
    }
}
