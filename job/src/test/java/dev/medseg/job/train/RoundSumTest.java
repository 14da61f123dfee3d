package dev.medseg.job.train;

import dev.medseg.model.train.TrainState;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;

import static org.junit.jupiter.api.Assertions.*;

class RoundSumTest {
    static final int N = 10_000;

    static WorkerSteps.Result result(int worker, long step, float base) {
        float[] p = new float[N], m = new float[N], b = new float[3];
        for (int i = 0; i < N; i++) {
            p[i] = base + i * 1e-3f;
            m[i] = -base * i;
        }
        b[0] = base;
        return new WorkerSteps.Result(worker, new TrainState(step, p, new float[][]{m}, b), 2.0 * (worker + 1), 2, 4, 1.5 + worker);
    }

    static long serializedBytes(Object o) throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (var out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.size();
    }

    @Test
    void oneWorkersSumIsItsStateUnchangedAndTravelsAsFloat() throws IOException {
        WorkerSteps.Result r = result(0, 7, 0.37f);
        RoundSum s = new RoundSum().add(r);
        assertTrue(s.average().sameAs(r.state()));
        long values = 2L * N + 3;
        long bytes = serializedBytes(s);
        assertTrue(bytes > 4 * values && bytes < 4 * values + 1024, "one worker's sum: " + bytes + " bytes for " + values + " values");
        RoundSum two = s.merge(new RoundSum().add(result(1, 7, 0.11f)));
        assertTrue(serializedBytes(two) > 8 * values, "a merged sum holds doubles");
    }

    @Test
    void averageIsTheDoubleMeanNarrowedOnceWhateverTheTreeShape() {
        WorkerSteps.Result a = result(0, 3, 0.1f), b = result(1, 3, 0.7f), c = result(2, 3, 1.3f);
        TrainState flat = new RoundSum().add(a).add(b).add(c).average();
        TrainState tree = new RoundSum().add(a).merge(new RoundSum().add(b).merge(new RoundSum().add(c))).average();
        TrainState withEmpties = new RoundSum().merge(new RoundSum().add(c)).merge(new RoundSum())
                .merge(new RoundSum().add(a).add(b)).average();
        for (int i = 0; i < N; i += 997) {
            double p = (0.0 + a.state().params()[i] + b.state().params()[i] + c.state().params()[i]) / 3;
            assertEquals((float) p, flat.params()[i]);
            double m = (0.0 + a.state().slots()[0][i] + b.state().slots()[0][i] + c.state().slots()[0][i]) / 3;
            assertEquals((float) m, flat.slots()[0][i]);
        }
        assertTrue(flat.sameAs(tree));
        assertTrue(flat.sameAs(withEmpties));
        assertEquals(3, flat.step());
    }

    @Test
    void countsLossAndTheSlowestWorker() {
        RoundSum s = new RoundSum().add(result(0, 1, 0f)).merge(new RoundSum().add(result(1, 1, 1f)));
        assertEquals(2, s.workers());
        assertEquals((2.0 + 4.0) / 4, s.meanLoss(), 1e-12);
        assertEquals(8, s.images());
        assertEquals(2.5, s.maxComputeSeconds(), 1e-12);
        assertEquals(4.0, s.totalComputeSeconds(), 1e-12);
    }

    @Test
    void workersAtDifferentStepsAreAnError() {
        RoundSum s = new RoundSum().add(result(0, 5, 0f));
        var e = assertThrows(IllegalStateException.class, () -> s.merge(new RoundSum().add(result(1, 6, 0f))));
        assertTrue(e.getMessage().contains("5 and 6"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> new RoundSum().average());
    }
}
