package dev.medseg.data.layout;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A reproducible random train/validation/test split of case ids, the same on every machine and JVM.
 *
 * <p>Algorithm (fixed; changing it changes every published split):
 * <ol>
 *   <li>Sort the distinct case ids by {@link String#compareTo} (UTF-16 code-unit order), so the input order
 *       never matters.</li>
 *   <li>Shuffle them with Fisher–Yates driven by SplitMix64 (Steele, Lea and Flood 2014) whose state starts
 *       at {@code seed}: for {@code i = n-1} down to {@code 1}, draw {@code j} uniformly in {@code [0, i]} and
 *       swap positions {@code i} and {@code j}. A uniform {@code j} in {@code [0, b)} is drawn without bias by
 *       taking the next 64-bit output {@code r} (unsigned), rejecting it while {@code r < 2^64 mod b}, and
 *       returning {@code r mod b}.</li>
 *   <li>{@code nTest = ceil(n * testFraction)} (double arithmetic, as scikit-learn's {@code train_test_split}
 *       does for a float {@code test_size}); the first {@code nTest} shuffled ids are TEST.</li>
 *   <li>Of the {@code m = n - nTest} others, {@code nVal = ceil(m * valFraction)} next ids are VAL; the rest are TRAIN.</li>
 * </ol>
 * It does not reproduce scikit-learn's (NumPy Mersenne Twister) permutation, only its sizes: no Java
 * implementation of that exists here, and java.util.Random/Collections.shuffle are not specified to stay
 * stable. {@code tests/fixtures/layouts/seeded_split_reference.py} is an independent implementation.
 *
 * @param testFraction fraction of all cases for TEST, in [0, 1)
 * @param valFraction  fraction of the non-test cases for VAL, in [0, 1)
 * @param seed         SplitMix64 starting state
 */
public record SeededSplit(double testFraction, double valFraction, long seed) {

    /** The 2-D protocol of the seed paper: test 20 %, validation 20 % of the rest, seed 41. */
    public static final SeededSplit PAPER = new SeededSplit(0.2, 0.2, 41);

    /** Validates the fractions. */
    public SeededSplit {
        checkFraction(testFraction, "testFraction");
        checkFraction(valFraction, "valFraction");
    }

    /**
     * Assigns every id to TRAIN, VAL or TEST.
     *
     * @return the assignment sorted by case id
     * @throws IllegalArgumentException when an id occurs twice
     */
    public Map<String, Split> assign(Collection<String> caseIds) {
        List<String> order = shuffled(caseIds);
        int n = order.size();
        int nTest = (int) Math.ceil(n * testFraction);
        int nVal = (int) Math.ceil((n - nTest) * valFraction);
        Map<String, Split> result = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            result.put(order.get(i), i < nTest ? Split.TEST : i < nTest + nVal ? Split.VAL : Split.TRAIN);
        }
        return Collections.unmodifiableMap(result);
    }

    /** The sorted ids after the seeded Fisher–Yates shuffle (steps 1 and 2 of the class comment). */
    public List<String> shuffled(Collection<String> caseIds) {
        TreeSet<String> distinct = new TreeSet<>(caseIds);
        if (distinct.size() != caseIds.size()) {
            throw new IllegalArgumentException("case ids must be distinct; got " + caseIds.size() + " ids of which "
                    + distinct.size() + " distinct");
        }
        List<String> order = new ArrayList<>(distinct);
        SplitMix64 random = new SplitMix64(seed);
        for (int i = order.size() - 1; i > 0; i--) {
            int j = (int) random.nextBelow(i + 1);
            Collections.swap(order, i, j);
        }
        return order;
    }

    private static void checkFraction(double value, String name) {
        if (!(value >= 0.0 && value < 1.0)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + value);
        }
    }

    /** SplitMix64: a 64-bit generator fully defined by these few lines, hence stable forever. */
    static final class SplitMix64 {
        private long state;

        SplitMix64(long seed) {
            this.state = seed;
        }

        /** The next 64-bit output (read as unsigned by callers). */
        long next() {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        /** Uniform in [0, bound) by rejecting the lowest {@code 2^64 mod bound} outputs. */
        long nextBelow(long bound) {
            if (bound <= 0) {
                throw new IllegalArgumentException("bound must be positive, got " + bound);
            }
            long threshold = Long.remainderUnsigned(-bound, bound); // (2^64 - bound) mod bound == 2^64 mod bound
            while (true) {
                long r = next();
                if (Long.compareUnsigned(r, threshold) >= 0) {
                    return Long.remainderUnsigned(r, bound);
                }
            }
        }
    }
}
