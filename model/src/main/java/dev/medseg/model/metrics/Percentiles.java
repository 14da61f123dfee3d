package dev.medseg.model.metrics;

/** Percentiles as numpy computes them by default ({@code numpy.percentile}, method "linear"). */
public final class Percentiles {

    private Percentiles() {
    }

    /**
     * The {@code q}-th percentile (0..100) of ascending-sorted {@code sorted}: virtual index (n-1)·q/100,
     * then numpy's {@code _lerp} between its two neighbours (which interpolates from the upper neighbour when
     * the fraction is at least 0.5, so results match numpy bit for bit).
     */
    public static double linear(double[] sorted, double q) {
        int n = sorted.length;
        if (n == 0) {
            throw new IllegalArgumentException("percentile of an empty array is undefined");
        }
        if (!(q >= 0 && q <= 100)) {
            throw new IllegalArgumentException("percentile must be in [0, 100], got " + q);
        }
        double virtualIndex = (n - 1) * (q / 100.0);
        double floor = Math.floor(virtualIndex);
        int previous = (int) Math.min(Math.max(floor, 0), n - 1);
        int next = Math.min(previous + 1, n - 1);
        double gamma = virtualIndex - floor;
        double a = sorted[previous];
        double b = sorted[next];
        double diff = b - a;
        return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
    }
}
