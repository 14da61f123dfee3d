package dev.medseg.data.synth;

import java.util.SplittableRandom;

/**
 * The random stream of one generated case: SplittableRandom (a fixed, documented algorithm) seeded from
 * (seed, dataset, case number), with our own Box-Muller normal so values never depend on JDK internals.
 */
final class CaseRandom {
    private final SplittableRandom r;

    CaseRandom(long seed, String dataset, int caseNumber) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (char c : dataset.toCharArray()) h = (h ^ c) * 0x100000001B3L;
        r = new SplittableRandom(h ^ (caseNumber * 0xC2B2AE3D27D4EB4FL));
    }

    /** Uniform in [lo, hi). */
    double uniform(double lo, double hi) {
        return lo + (hi - lo) * r.nextDouble();
    }

    /** Uniform integer in [lo, hi]. */
    int between(int lo, int hi) {
        return lo + r.nextInt(hi - lo + 1);
    }

    /** True with probability p. */
    boolean chance(double p) {
        return r.nextDouble() < p;
    }

    /** Standard normal (Box-Muller). */
    double gaussian() {
        double u1 = r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** A normal value around {@code mean} with standard deviation {@code sd}. */
    double normal(double mean, double sd) {
        return mean + sd * gaussian();
    }
}
