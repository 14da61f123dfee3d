package dev.medseg.model.metrics;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Exact squared Euclidean distance transform with anisotropic spacing (Felzenszwalb & Huttenlocher 2012:
 * one lower envelope of parabolas per grid line and axis, linear time).
 *
 * <p>Only what is asked for is computed. The domain is the bounding box of the feature voxels and the query
 * voxels (exact, because every nearest feature lies inside it). The z pass is done first from per-column
 * lists of feature z positions, so each slice then needs only its own 2-D buffer: memory is one slice plus
 * the feature lists, never a whole volume of doubles, and slices with no query voxel are skipped.
 */
public final class DistanceTransform {

    /** Columns with more queries than this in a slice get a full envelope instead of outward searches. */
    private static final int OUTWARD_SEARCH_LIMIT = 8;

    private DistanceTransform() {
    }

    /**
     * Squared distance from every voxel to the nearest foreground voxel of {@code features}, in spacing units
     * squared, in memory order; {@code +Infinity} everywhere when {@code features} is empty. Allocates one
     * double per voxel: for large volumes prefer {@link #squaredAt}.
     */
    public static double[] squared(BinaryMask features, Spacing spacing) {
        int[] all = new int[features.grid().size()];
        Arrays.setAll(all, i -> i);
        return squaredAt(features, all, spacing);
    }

    /**
     * Squared distance from each voxel in {@code queries} (flat indices, strictly increasing) to the nearest
     * foreground voxel of {@code features}; {@code +Infinity} when {@code features} is empty.
     */
    public static double[] squaredAt(BinaryMask features, int[] queries, Spacing spacing) {
        Grid grid = features.grid();
        double[] out = new double[queries.length];
        for (int i = 0; i < queries.length; i++) {
            if (queries[i] < 0 || queries[i] >= grid.size() || (i > 0 && queries[i] <= queries[i - 1])) {
                throw new IllegalArgumentException("query indices must be increasing and inside " + grid + ", bad at position " + i);
            }
        }
        if (queries.length == 0) {
            return out;
        }
        if (features.isEmpty()) {
            Arrays.fill(out, Double.POSITIVE_INFINITY);
            return out;
        }
        new SliceWise(grid, features.bitsView(), queries, spacing).run(out);
        return out;
    }

    /**
     * One-dimensional lower envelope: {@code d[p] = min_q (w (p-q)^2 + f[q])} for {@code p, q < n}, where
     * {@code w} is the squared spacing of this axis. Sites with {@code f = +Infinity} are skipped; when all are
     * infinite, so is every output. {@code d} must not be {@code f}.
     */
    static void lowerEnvelope(double[] f, int n, double w, double[] d, Scratch scratch) {
        int[] v = scratch.sites;
        double[] hv = scratch.heights;
        double[] zNum = scratch.boundaryNum;
        double[] zDen = scratch.boundaryDen;
        // Boundaries between parabolas are kept as fractions zNum/zDen (zDen > 0) and compared by
        // cross-multiplication: no division in the loop, which is what dominates a naive implementation.
        int k = -1;
        for (int q = 0; q < n; q++) {
            double fq = f[q];
            if (fq == Double.POSITIVE_INFINITY) {
                continue;
            }
            double dq = q;
            double hq = fq + w * dq * dq;
            if (k < 0) {
                k = 0;
                v[0] = q;
                hv[0] = hq;
                continue;
            }
            double num;
            double den;
            while (true) {
                num = hq - hv[k];
                den = 2 * w * (dq - v[k]);
                // the parabola of v[k] is hidden when the new boundary lies at or before its left boundary
                if (k > 0 && num * zDen[k] <= zNum[k] * den) {
                    k--;
                } else {
                    break;
                }
            }
            k++;
            v[k] = q;
            hv[k] = hq;
            zNum[k] = num;
            zDen[k] = den;
        }
        if (k < 0) {
            Arrays.fill(d, 0, n, Double.POSITIVE_INFINITY);
            return;
        }
        int j = 0;
        for (int p = 0; p < n; p++) {
            while (j < k && zNum[j + 1] < p * zDen[j + 1]) {
                j++;
            }
            double dp = p - v[j];
            d[p] = w * dp * dp + f[v[j]];
        }
    }

    /** Work arrays of {@link #lowerEnvelope} for lines of up to {@code length} samples. */
    static final class Scratch {
        final int[] sites;
        final double[] heights;
        final double[] boundaryNum;
        final double[] boundaryDen;

        Scratch(int length) {
            sites = new int[length];
            heights = new double[length];
            boundaryNum = new double[length];
            boundaryDen = new double[length];
        }
    }

    /** The slice-by-slice transform over the bounding box of features and queries. */
    private static final class SliceWise {
        private final Grid grid;
        private final BitSet features;
        private final int[] queries;
        private final double wx;
        private final double wy;
        private final double wz;
        private int x0 = Integer.MAX_VALUE;
        private int y0 = Integer.MAX_VALUE;
        private int x1 = -1;
        private int y1 = -1;

        SliceWise(Grid grid, BitSet features, int[] queries, Spacing spacing) {
            this.grid = grid;
            this.features = features;
            this.queries = queries;
            this.wx = spacing.sx() * spacing.sx();
            this.wy = spacing.sy() * spacing.sy();
            this.wz = spacing.sz() * spacing.sz();
        }

        void run(double[] out) {
            int nx = grid.nx();
            int nxy = nx * grid.ny();
            for (int i = features.nextSetBit(0); i >= 0; i = features.nextSetBit(i + 1)) {
                include(i % nx, (i % nxy) / nx);
            }
            for (int q : queries) {
                include(q % nx, (q % nxy) / nx);
            }
            int bx = x1 - x0 + 1;
            int by = y1 - y0 + 1;
            int columns = bx * by;

            // z positions of the features of each (x, y) column, increasing (bit order is z-major)
            int[] colStart = new int[columns + 1];
            for (int i = features.nextSetBit(0); i >= 0; i = features.nextSetBit(i + 1)) {
                colStart[column(i, nx, nxy, bx) + 1]++;
            }
            for (int c = 0; c < columns; c++) {
                colStart[c + 1] += colStart[c];
            }
            int[] colZ = new int[colStart[columns]];
            int[] fill = Arrays.copyOf(colStart, columns);
            for (int i = features.nextSetBit(0); i >= 0; i = features.nextSetBit(i + 1)) {
                colZ[fill[column(i, nx, nxy, bx)]++] = i / nxy;
            }
            int[] next = Arrays.copyOf(colStart, columns); // first feature with z >= current slice

            double[] slice = new double[columns];
            double[] rowIn = new double[Math.max(bx, by)];
            double[] rowOut = new double[Math.max(bx, by)];
            Scratch scratch = new Scratch(Math.max(bx, by));
            int[] queriesInColumn = new int[bx];

            int q = 0;
            while (q < queries.length) {
                int z = queries[q] / nxy;
                int end = q;
                while (end < queries.length && queries[end] / nxy == z) {
                    end++;
                }
                // pass 1 (z): distance to the nearest feature in the same column
                for (int c = 0; c < columns; c++) {
                    int p = next[c];
                    int stop = colStart[c + 1];
                    while (p < stop && colZ[p] < z) {
                        p++;
                    }
                    next[c] = p;
                    double best = Double.POSITIVE_INFINITY;
                    if (p < stop) {
                        double dz = colZ[p] - z;
                        best = wz * dz * dz;
                    }
                    if (p > colStart[c]) {
                        double dz = z - colZ[p - 1];
                        best = Math.min(best, wz * dz * dz);
                    }
                    slice[c] = best;
                }
                // pass 2 (x): every row, since pass 3 reads whole columns
                for (int yy = 0; yy < by; yy++) {
                    System.arraycopy(slice, yy * bx, rowIn, 0, bx);
                    lowerEnvelope(rowIn, bx, wx, rowOut, scratch);
                    System.arraycopy(rowOut, 0, slice, yy * bx, bx);
                }
                // pass 3 (y), only where queries are. A column with few queries is searched outward from each
                // query, stopping once the y offset alone exceeds the best value found (exact, since every
                // value is >= 0): near-surface queries finish after a few rows. Busy columns get the envelope.
                Arrays.fill(queriesInColumn, 0);
                for (int k = q; k < end; k++) {
                    queriesInColumn[queries[k] % nx - x0]++;
                }
                for (int xx = 0; xx < bx; xx++) {
                    if (queriesInColumn[xx] <= OUTWARD_SEARCH_LIMIT) {
                        continue;
                    }
                    for (int yy = 0; yy < by; yy++) {
                        rowIn[yy] = slice[xx + bx * yy];
                    }
                    lowerEnvelope(rowIn, by, wy, rowOut, scratch);
                    for (int yy = 0; yy < by; yy++) {
                        slice[xx + bx * yy] = rowOut[yy];
                    }
                }
                for (int k = q; k < end; k++) {
                    int i = queries[k];
                    int xx = i % nx - x0;
                    int yy = (i % nxy) / nx - y0;
                    out[k] = queriesInColumn[xx] > OUTWARD_SEARCH_LIMIT
                            ? slice[xx + bx * yy]
                            : searchColumn(slice, xx, yy, bx, by);
                }
                q = end;
            }
        }

        /** Grows the in-plane box; z needs no box since only query slices are visited. */
        /** min over rows t of {@code slice[xx, t] + wy (yy - t)^2}, searched outward from row yy. */
        private double searchColumn(double[] slice, int xx, int yy, int bx, int by) {
            double best = slice[xx + bx * yy];
            for (int step = 1; ; step++) {
                double reach = wy * step * step;
                if (reach >= best) {
                    return best;
                }
                boolean inside = false;
                if (yy - step >= 0) {
                    best = Math.min(best, slice[xx + bx * (yy - step)] + reach);
                    inside = true;
                }
                if (yy + step < by) {
                    best = Math.min(best, slice[xx + bx * (yy + step)] + reach);
                    inside = true;
                }
                if (!inside) {
                    return best;
                }
            }
        }

        private void include(int x, int y) {
            x0 = Math.min(x0, x);
            x1 = Math.max(x1, x);
            y0 = Math.min(y0, y);
            y1 = Math.max(y1, y);
        }

        private int column(int i, int nx, int nxy, int bx) {
            return (i % nx - x0) + bx * ((i % nxy) / nx - y0);
        }
    }
}
