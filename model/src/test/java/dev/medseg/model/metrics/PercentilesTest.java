package dev.medseg.model.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PercentilesTest {

    @Test
    void matchesNumpyBitForBit() {
        // expected values printed by numpy 2.x: repr(np.percentile(values, q))
        assertEquals(3.8499999999999996, Percentiles.linear(new double[] {1, 2, 3, 4}, 95), 0);
        assertEquals(0.6699999999999999, Percentiles.linear(new double[] {0.1, 0.7}, 95), 0);
        assertEquals(0.2, Percentiles.linear(new double[] {0.1, 0.2, 0.3}, 50), 0);
        double[] tenths = new double[21];
        for (int i = 0; i < tenths.length; i++) {
            tenths[i] = i * 0.1;
        }
        assertEquals(1.9000000000000001, Percentiles.linear(tenths, 95), 0);
        assertEquals(2.5, Percentiles.linear(new double[] {2.5}, 95), 0);
    }

    @Test
    void endsAreMinimumAndMaximum() {
        double[] v = {-1, 0, 7};
        assertEquals(-1, Percentiles.linear(v, 0), 0);
        assertEquals(7, Percentiles.linear(v, 100), 0);
    }

    @Test
    void rejectsEmptyInputAndBadPercentile() {
        assertEquals("percentile of an empty array is undefined",
                assertThrows(IllegalArgumentException.class, () -> Percentiles.linear(new double[0], 95)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Percentiles.linear(new double[] {1}, 101));
        assertThrows(IllegalArgumentException.class, () -> Percentiles.linear(new double[] {1}, Double.NaN));
    }
}
