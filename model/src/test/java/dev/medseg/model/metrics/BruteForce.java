package dev.medseg.model.metrics;

import java.util.Random;

/** Quadratic-time reference implementations and random masks for tests. */
final class BruteForce {

    private BruteForce() {
    }

    /** Squared distance from voxel {@code i} to the nearest foreground voxel of {@code features}. */
    static double squaredDistance(BinaryMask features, int i, Spacing s) {
        Grid g = features.grid();
        int x = i % g.nx();
        int y = (i / g.nx()) % g.ny();
        int z = i / (g.nx() * g.ny());
        double best = Double.POSITIVE_INFINITY;
        for (int fz = 0; fz < g.nz(); fz++) {
            for (int fy = 0; fy < g.ny(); fy++) {
                for (int fx = 0; fx < g.nx(); fx++) {
                    if (features.get(fx, fy, fz)) {
                        double dx = (fx - x) * s.sx();
                        double dy = (fy - y) * s.sy();
                        double dz = (fz - z) * s.sz();
                        best = Math.min(best, dx * dx + dy * dy + dz * dz);
                    }
                }
            }
        }
        return best;
    }

    /** A random mask where each voxel is set with probability {@code p}. */
    static BinaryMask random(Grid g, double p, Random rnd) {
        boolean[] v = new boolean[g.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextDouble() < p;
        }
        return BinaryMask.of(g, v);
    }

    /** A ball of radius {@code r} (inclusive) centred at (cx, cy, cz). */
    static BinaryMask ball(Grid g, double cx, double cy, double cz, double r) {
        boolean[] v = new boolean[g.size()];
        for (int z = 0; z < g.nz(); z++) {
            for (int y = 0; y < g.ny(); y++) {
                for (int x = 0; x < g.nx(); x++) {
                    double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy) + (z - cz) * (z - cz);
                    v[g.index(x, y, z)] = d2 <= r * r;
                }
            }
        }
        return BinaryMask.of(g, v);
    }

    /** A mask with exactly the listed voxels (x, y, z triples) set. */
    static BinaryMask voxels(Grid g, int... xyz) {
        boolean[] v = new boolean[g.size()];
        for (int k = 0; k < xyz.length; k += 3) {
            v[g.index(xyz[k], xyz[k + 1], xyz[k + 2])] = true;
        }
        return BinaryMask.of(g, v);
    }
}
