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
        BitSet in = mask.bitsView();
        BitSet out = new BitSet(g.size());
        int nx = g.nx();
        int ny = g.ny();
        int nz = g.nz();
        int nxy = nx * ny;
        boolean threeD = !g.is2d();
        for (int i = in.nextSetBit(0); i >= 0; i = in.nextSetBit(i + 1)) {
            int x = i % nx;
            int y = (i % nxy) / nx;
            int z = i / nxy;
            boolean interior = x > 0 && in.get(i - 1) && x < nx - 1 && in.get(i + 1)
                    && y > 0 && in.get(i - nx) && y < ny - 1 && in.get(i + nx)
                    && (!threeD || (z > 0 && in.get(i - nxy) && z < nz - 1 && in.get(i + nxy)));
            if (!interior) {
                out.set(i);
            }
        }
        return new BinaryMask(g, out);
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
