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
     * infinite, so is every output. {@code v} needs n ints and {@code z} n+1 doubles of scratch; {@code d}
     * must not be {@code f}.
     */
    static void lowerEnvelope(double[] f, int n, double w, double[] d, int[] v, double[] z) {
        int k = -1;
        for (int q = 0; q < n; q++) {
            double fq = f[q];
            if (fq == Double.POSITIVE_INFINITY) {
                continue;
            }
            if (k < 0) {
                k = 0;
                v[0] = q;
                z[0] = Double.NEGATIVE_INFINITY;
                z[1] = Double.POSITIVE_INFINITY;
                continue;
            }
            double s = intersection(f, w, v[k], q);
            while (s <= z[k]) { // z[0] = -inf ends the loop at k == 0
                k--;
                s = intersection(f, w, v[k], q);
            }
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = Double.POSITIVE_INFINITY;
        }
        if (k < 0) {
            Arrays.fill(d, 0, n, Double.POSITIVE_INFINITY);
            return;
        }
        int j = 0;
        for (int p = 0; p < n; p++) {
            while (z[j + 1] < p) {
                j++;
            }
            double dp = p - v[j];
            d[p] = w * dp * dp + f[v[j]];
        }
    }

    /** Position where the parabolas rooted at sites r < q meet. */
    private static double intersection(double[] f, double w, int r, int q) {
        double dq = q;
        double dr = r;
        return ((f[q] + w * dq * dq) - (f[r] + w * dr * dr)) / (2 * w * (dq - dr));
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
            int[] v = new int[Math.max(bx, by)];
            double[] zs = new double[Math.max(bx, by) + 1];
            boolean[] neededColumn = new boolean[bx];

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
                    lowerEnvelope(rowIn, bx, wx, rowOut, v, zs);
                    System.arraycopy(rowOut, 0, slice, yy * bx, bx);
                }
                // pass 3 (y): only the columns holding a query of this slice
                Arrays.fill(neededColumn, false);
                for (int k = q; k < end; k++) {
                    neededColumn[queries[k] % nx - x0] = true;
                }
                for (int xx = 0; xx < bx; xx++) {
                    if (!neededColumn[xx]) {
                        continue;
                    }
                    for (int yy = 0; yy < by; yy++) {
                        rowIn[yy] = slice[xx + bx * yy];
                    }
                    lowerEnvelope(rowIn, by, wy, rowOut, v, zs);
                    for (int yy = 0; yy < by; yy++) {
                        slice[xx + bx * yy] = rowOut[yy];
                    }
                }
                for (int k = q; k < end; k++) {
                    int i = queries[k];
                    out[k] = slice[(i % nx - x0) + bx * ((i % nxy) / nx - y0)];
                }
                q = end;
            }
        }

        /** Grows the in-plane box; z needs no box since only query slices are visited. */
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
