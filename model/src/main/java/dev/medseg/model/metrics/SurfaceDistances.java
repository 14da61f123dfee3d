package dev.medseg.model.metrics;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Surface-to-surface distances between two non-empty masks with exactly medpy's semantics
 * ({@code medpy.metric.binary.__surface_distances}, connectivity 1): the surface of a mask is the mask minus
 * its erosion by the cross (6-neighbourhood in 3-D, 4-neighbourhood when {@code nz == 1}) with voxels outside
 * the grid counted as background, so foreground on the grid border is surface; each surface voxel of one mask
 * gets the exact Euclidean distance (with spacing) to the nearest surface voxel of the other.
 *
 * <p>Distances are undefined when either mask is empty (medpy raises): {@link #between} then throws, and the
 * case-level conventions are chosen by an {@link EmptyMaskRule}.
 */
public final class SurfaceDistances {

    private final double[] resultToReference;
    private final double[] referenceToResult;
    private final double[] pooledSorted;

    private SurfaceDistances(double[] resultToReference, double[] referenceToResult) {
        this.resultToReference = resultToReference;
        this.referenceToResult = referenceToResult;
        this.pooledSorted = new double[resultToReference.length + referenceToResult.length];
        System.arraycopy(resultToReference, 0, pooledSorted, 0, resultToReference.length);
        System.arraycopy(referenceToResult, 0, pooledSorted, resultToReference.length, referenceToResult.length);
        Arrays.sort(pooledSorted);
    }

    /**
     * Distances between the surfaces of {@code result} and {@code reference}.
     *
     * @throws IllegalArgumentException if either mask is empty or the grids differ
     */
    public static SurfaceDistances between(BinaryMask result, BinaryMask reference, Spacing spacing) {
        result.requireSameGrid(reference);
        if (result.isEmpty() || reference.isEmpty()) {
            throw new IllegalArgumentException("surface distances are undefined for an empty mask (result "
                    + result.count() + " voxels, reference " + reference.count() + " voxels)");
        }
        return betweenSurfaces(surface(result), surface(reference), spacing);
    }

    /** Distances between two already extracted, non-empty surfaces (lets callers reuse surfaces across spacings). */
    static SurfaceDistances betweenSurfaces(BinaryMask resultSurface, BinaryMask referenceSurface, Spacing spacing) {
        return new SurfaceDistances(
                distancesFrom(resultSurface, referenceSurface, spacing),
                distancesFrom(referenceSurface, resultSurface, spacing));
    }

    /** The surface of {@code mask}: foreground voxels with at least one cross neighbour in background or off-grid. */
    public static BinaryMask surface(BinaryMask mask) {
        Grid g = mask.grid();
        long[] in = mask.bitsView().toLongArray();
        int words = (g.size() + 63) >>> 6;
        in = Arrays.copyOf(in, words);
        // Erosion 64 voxels at a time: a voxel is interior when it and its cross neighbours are set. Shifting
        // by one voxel (or one row) wraps into the neighbouring row (or slice), so the x and y borders are
        // masked out explicitly; shifting by one slice runs off the array ends, which reads as background.
        long[] interior = in.clone();
        int nx = g.nx();
        int nxy = nx * g.ny();
        andShiftedUp(interior, in, 1);
        andShiftedDown(interior, in, 1);
        andShiftedUp(interior, in, nx);
        andShiftedDown(interior, in, nx);
        if (!g.is2d()) { // medpy erodes a 2-D array with the 4-neighbourhood
            andShiftedUp(interior, in, nxy);
            andShiftedDown(interior, in, nxy);
        }
        long[] border = inPlaneBorder(g).toLongArray();
        for (int w = 0; w < words; w++) {
            long b = w < border.length ? border[w] : 0L;
            interior[w] &= ~b;
            in[w] &= ~interior[w]; // surface = mask minus interior
        }
        return new BinaryMask(g, BitSet.valueOf(in));
    }

    /** Voxels with x or y on the grid's edge. */
    private static BitSet inPlaneBorder(Grid g) {
        BitSet border = new BitSet(g.size());
        int nx = g.nx();
        int ny = g.ny();
        for (int z = 0; z < g.nz(); z++) {
            border.set(g.index(0, 0, z), g.index(0, 0, z) + nx);
            border.set(g.index(0, ny - 1, z), g.index(0, ny - 1, z) + nx);
            for (int y = 0; y < ny; y++) {
                border.set(g.index(0, y, z));
                border.set(g.index(nx - 1, y, z));
            }
        }
        return border;
    }

    /** {@code acc[bit i] &= in[bit i - s]}, reading zeros before the start. */
    private static void andShiftedUp(long[] acc, long[] in, int s) {
        int ws = s >>> 6;
        int bs = s & 63;
        for (int w = acc.length - 1; w >= 0; w--) {
            int src = w - ws;
            long hi = src >= 0 ? in[src] << bs : 0L;
            long lo = bs != 0 && src - 1 >= 0 ? in[src - 1] >>> (64 - bs) : 0L;
            acc[w] &= hi | lo;
        }
    }

    /** {@code acc[bit i] &= in[bit i + s]}, reading zeros past the end. */
    private static void andShiftedDown(long[] acc, long[] in, int s) {
        int ws = s >>> 6;
        int bs = s & 63;
        for (int w = 0; w < acc.length; w++) {
            int src = w + ws;
            long lo = src < in.length ? in[src] >>> bs : 0L;
            long hi = bs != 0 && src + 1 < in.length ? in[src + 1] << (64 - bs) : 0L;
            acc[w] &= hi | lo;
        }
    }

    private static double[] distancesFrom(BinaryMask from, BinaryMask to, Spacing spacing) {
        BitSet bits = from.bitsView();
        int[] queries = new int[from.count()];
        int k = 0;
        for (int i = bits.nextSetBit(0); i >= 0; i = bits.nextSetBit(i + 1)) {
            queries[k++] = i;
        }
        double[] d = DistanceTransform.squaredAt(to, queries, spacing);
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.sqrt(d[i]);
        }
        return d;
    }

    /** medpy {@code hd95}: the 95th percentile (numpy linear) of both directions pooled together. */
    public double hd95() {
        return percentile(95);
    }

    /** The {@code q}-th percentile (0..100) of both directions pooled, numpy's default interpolation. */
    public double percentile(double q) {
        return Percentiles.linear(pooledSorted, q);
    }

    /** medpy {@code hd}: the symmetric Hausdorff distance, the largest distance in either direction. */
    public double hausdorff() {
        return pooledSorted[pooledSorted.length - 1];
    }

    /** medpy {@code assd}: the mean of the two directed average surface distances (not the pooled mean). */
    public double averageSymmetric() {
        return (mean(resultToReference) + mean(referenceToResult)) / 2;
    }

    /** Distance of each result-surface voxel (in index order) to the reference surface. */
    public double[] resultToReference() {
        return resultToReference.clone();
    }

    /** Distance of each reference-surface voxel (in index order) to the result surface. */
    public double[] referenceToResult() {
        return referenceToResult.clone();
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }
}
