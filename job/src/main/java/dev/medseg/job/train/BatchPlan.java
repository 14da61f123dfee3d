package dev.medseg.job.train;

/**
 * Which of a worker's samples go into each of its steps. A worker's samples (sorted by case and slice) are visited
 * in a fresh seeded permutation each local epoch; consecutive steps take consecutive positions of that endless
 * stream, so a batch may span two epochs (the reference instead ends each epoch with a smaller batch: with
 * parameter averaging every worker must take equal steps). Everything is a function of (seed, worker, step),
 * which makes retried tasks and resumed runs draw the same batches.
 */
public final class BatchPlan {
    private BatchPlan() {}

    /** Sample indices (into the worker's sorted samples) of step {@code iteration}. */
    public static int[] batch(long seed, int worker, int samples, int batchSize, long iteration) {
        if (samples <= 0) throw new IllegalArgumentException("worker " + worker + " has no samples");
        int[] out = new int[batchSize];
        int[] perm = null;
        long cachedEpoch = -1;
        for (int j = 0; j < batchSize; j++) {
            long pos = iteration * batchSize + j;
            long epoch = pos / samples;
            if (epoch != cachedEpoch) {
                perm = permutation(Seeds.mix(seed, 0x5EED, worker, epoch), samples);
                cachedEpoch = epoch;
            }
            out[j] = perm[(int) (pos % samples)];
        }
        return out;
    }

    /** Fisher–Yates with a seeded generator. */
    static int[] permutation(long seed, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int k = r.nextInt(i + 1);
            int t = p[i]; p[i] = p[k]; p[k] = t;
        }
        return p;
    }
}
