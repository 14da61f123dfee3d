package dev.medseg.model.metrics;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DistanceTransformTest {

    @Test
    void lowerEnvelopeMatchesBruteForceWithInfiniteSites() {
        double inf = Double.POSITIVE_INFINITY;
        double[] f = {inf, 4, inf, inf, 0, inf, 9, inf};
        double w = 2.25; // spacing 1.5
        double[] d = new double[f.length];
        DistanceTransform.lowerEnvelope(f, f.length, w, d, new DistanceTransform.Scratch(f.length));
        for (int p = 0; p < f.length; p++) {
            double best = inf;
            for (int q = 0; q < f.length; q++) {
                best = Math.min(best, w * (p - q) * (p - q) + f[q]);
            }
            assertEquals(best, d[p], 1e-12, "p=" + p);
        }
        // hand check: p=0 takes the site at 1 (4 + 2.25), p=7 the site at 6 (9 + 2.25), p=2 the site at 1 (4 + 2.25), p=3 the site at 4 (2.25)
        assertEquals(6.25, d[0], 0);
        assertEquals(11.25, d[7], 0);
        assertEquals(6.25, d[2], 0);
        assertEquals(2.25, d[3], 0);
    }

    @Test
    void lowerEnvelopeWithoutFiniteSitesIsInfinite() {
        double inf = Double.POSITIVE_INFINITY;
        double[] d = new double[3];
        DistanceTransform.lowerEnvelope(new double[] {inf, inf, inf}, 3, 1, d, new DistanceTransform.Scratch(3));
        assertArrayEquals(new double[] {inf, inf, inf}, d);
    }

    @Test
    void fullTransformMatchesBruteForceIn3dWithAnisotropicSpacing() {
        // 7 rows: every column is finished by the outward search (<= 8 queries per column)
        Random rnd = new Random(7);
        Grid g = new Grid(9, 7, 6);
        Spacing s = new Spacing(0.7, 1.3, 2.9);
        for (int trial = 0; trial < 5; trial++) {
            BinaryMask features = BruteForce.random(g, 0.03 + 0.05 * trial, rnd);
            double[] d = DistanceTransform.squared(features, s);
            for (int i = 0; i < g.size(); i++) {
                assertEquals(BruteForce.squaredDistance(features, i, s), d[i], 1e-9, "trial " + trial + " voxel " + i);
            }
        }
    }

    @Test
    void fullTransformMatchesBruteForceIn2d() {
        // 17 rows: every column has more than 8 queries, so the y pass runs the full envelope
        Random rnd = new Random(11);
        Grid g = Grid.of2d(13, 17);
        Spacing s = new Spacing(1.9, 0.4, 123); // sz is irrelevant in 2-D
        BinaryMask features = BruteForce.random(g, 0.05, rnd);
        double[] d = DistanceTransform.squared(features, s);
        for (int i = 0; i < g.size(); i++) {
            assertEquals(BruteForce.squaredDistance(features, i, s), d[i], 1e-9, "voxel " + i);
        }
    }

    @Test
    void sparseQueriesFarFromFeaturesMatchBruteForce() {
        Random rnd = new Random(5);
        Grid g = new Grid(11, 30, 9);
        Spacing s = new Spacing(1.1, 0.35, 2.0);
        BinaryMask features = BruteForce.random(g, 0.004, rnd);
        int[] queries = {0, 37, 400, 1999, 2000, 2500, g.size() - 1};
        double[] d = DistanceTransform.squaredAt(features, queries, s);
        for (int k = 0; k < queries.length; k++) {
            assertEquals(BruteForce.squaredDistance(features, queries[k], s), d[k], 1e-9, "query " + queries[k]);
        }
    }

    @Test
    void singleFeatureInCornerGivesExactDistanceToFarCorner() {
        Grid g = new Grid(4, 5, 6);
        BinaryMask corner = BruteForce.voxels(g, 0, 0, 0);
        double[] d = DistanceTransform.squaredAt(corner, new int[] {g.index(3, 4, 5)}, new Spacing(1, 2, 3));
        assertEquals(9 + 64 + 225, d[0], 0);
    }

    @Test
    void emptyFeaturesGiveInfinity() {
        Grid g = new Grid(3, 3, 3);
        double[] d = DistanceTransform.squaredAt(BinaryMask.empty(g), new int[] {0, 13}, Spacing.UNIT);
        assertArrayEquals(new double[] {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY}, d);
    }

    @Test
    void queriesMustBeIncreasingAndInside() {
        Grid g = new Grid(3, 3, 3);
        BinaryMask f = BruteForce.voxels(g, 1, 1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DistanceTransform.squaredAt(f, new int[] {5, 5}, Spacing.UNIT));
        assertEquals("query indices must be increasing and inside Grid[nx=3, ny=3, nz=3], bad at position 1", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DistanceTransform.squaredAt(f, new int[] {27}, Spacing.UNIT));
    }
}
