package dev.medseg.model.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SurfaceDistancesTest {

    private static BinaryMask full(Grid g) {
        boolean[] v = new boolean[g.size()];
        java.util.Arrays.fill(v, true);
        return BinaryMask.of(g, v);
    }

    @Test
    void cubeInsideTheGridHasItsCentreAsOnlyInteriorVoxel() {
        Grid g = new Grid(5, 5, 5);
        boolean[] v = new boolean[g.size()];
        for (int z = 1; z <= 3; z++) {
            for (int y = 1; y <= 3; y++) {
                for (int x = 1; x <= 3; x++) {
                    v[g.index(x, y, z)] = true;
                }
            }
        }
        BinaryMask surface = SurfaceDistances.surface(BinaryMask.of(g, v));
        assertEquals(26, surface.count());
        assertFalse(surface.get(2, 2, 2));
        assertTrue(surface.get(1, 2, 2));
    }

    @Test
    void foregroundOnTheGridBorderIsSurface() {
        // medpy erodes with border_value 0: a mask filling the whole grid keeps only its inner core
        BinaryMask surface = SurfaceDistances.surface(full(new Grid(4, 4, 4)));
        assertEquals(64 - 8, surface.count());
        assertFalse(surface.get(1, 2, 1));
        assertTrue(surface.get(0, 1, 1));
        assertTrue(surface.get(3, 3, 3));
    }

    @Test
    void rowWrapDoesNotHideTheXBorder() {
        // a row that continues into the next row in memory must still end at x = nx-1
        Grid g = new Grid(3, 3, 3);
        BinaryMask m = BruteForce.voxels(g, 2, 1, 1, 0, 2, 1, 1, 2, 1, 2, 2, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 2, 0, 1, 1);
        BinaryMask surface = SurfaceDistances.surface(m);
        assertTrue(surface.get(2, 1, 1)); // its +x neighbour would be (0, 2, 1) in memory, which is set
        assertFalse(surface.get(1, 1, 1)); // all six neighbours set
    }

    @Test
    void twoDimensionalGridUsesTheFourNeighbourCross() {
        Grid g = Grid.of2d(3, 3);
        BinaryMask surface = SurfaceDistances.surface(full(g));
        assertEquals(8, surface.count());
        assertFalse(surface.get(1, 1, 0));
    }

    @Test
    void medpyCrossAgainstSquareExample() {
        // medpy's asd docstring: with connectivity 1 the cross's centre is not surface, asd(cross, cube) == 0
        Grid g = Grid.of2d(3, 3);
        BinaryMask cross = BruteForce.voxels(g, 1, 0, 0, 0, 1, 0, 1, 1, 0, 2, 1, 0, 1, 2, 0);
        BinaryMask square = full(g);
        SurfaceDistances d = SurfaceDistances.between(cross, square, Spacing.UNIT);
        assertArrayEquals(new double[] {0, 0, 0, 0}, d.resultToReference());
        // square surface (index order) to the cross arms: corners are 1 away, edge midpoints 0
        assertArrayEquals(new double[] {1, 0, 1, 0, 0, 1, 0, 1}, d.referenceToResult());
        // pooled: eight 0s and four 1s; virtual index 11 * 0.95 = 10.45 lies between two 1s
        assertEquals(1, d.hd95(), 0);
        assertEquals(1, d.hausdorff(), 0);
        assertEquals((0 + 0.5) / 2, d.averageSymmetric(), 0);
    }

    @Test
    void singleVoxelsWithAnisotropicSpacing() {
        Grid g = new Grid(6, 8, 5);
        BinaryMask a = BruteForce.voxels(g, 1, 2, 3);
        BinaryMask b = BruteForce.voxels(g, 4, 6, 3);
        assertEquals(5, SurfaceDistances.between(a, b, Spacing.UNIT).hd95(), 1e-12);
        // dx = 3 * 2, dy = 4 * 0.5, dz = 0
        SurfaceDistances mm = SurfaceDistances.between(a, b, new Spacing(2, 0.5, 7));
        assertEquals(Math.sqrt(40), mm.hd95(), 1e-12);
        assertEquals(Math.sqrt(40), mm.hausdorff(), 1e-12);
        // one slice apart in z only: spacing sz alone counts
        BinaryMask c = BruteForce.voxels(g, 1, 2, 4);
        assertEquals(7, SurfaceDistances.between(a, c, new Spacing(2, 0.5, 7)).hd95(), 1e-12);
    }

    @Test
    void identicalMasksAreZeroApart() {
        BinaryMask ball = BruteForce.ball(new Grid(12, 12, 12), 6, 6, 6, 4);
        SurfaceDistances d = SurfaceDistances.between(ball, ball, new Spacing(0.8, 0.8, 3));
        assertEquals(0, d.hd95(), 0);
        assertEquals(0, d.hausdorff(), 0);
    }

    @Test
    void oneVoxelDiagonalShiftOfASphereIsSqrt3() {
        // MONAI's classic check, here with medpy's pooled percentile: every surface voxel is at most sqrt 3 away
        Grid g = new Grid(24, 24, 24);
        BinaryMask a = BruteForce.ball(g, 11, 11, 11, 6);
        BinaryMask b = BruteForce.ball(g, 12, 12, 12, 6);
        SurfaceDistances d = SurfaceDistances.between(a, b, Spacing.UNIT);
        assertEquals(Math.sqrt(3), d.hausdorff(), 1e-12);
        assertEquals(Math.sqrt(3), d.hd95(), 1e-12);
    }

    @Test
    void fullGridAgainstCornerVoxelTouchesEveryBorder() {
        // surface of the full 3x3x3 grid = all voxels but (1,1,1); distances to (0,0,0) are |(x,y,z)|.
        // The largest are sqrt 12 (once) and 3 (three times: (2,2,1) and permutations); the reverse direction
        // adds one 0. 27 values, virtual index 26 * 0.95 = 24.7 between a[24] = 3 and a[25] = 3.
        Grid g = new Grid(3, 3, 3);
        SurfaceDistances d = SurfaceDistances.between(full(g), BruteForce.voxels(g, 0, 0, 0), Spacing.UNIT);
        assertEquals(26, d.resultToReference().length);
        assertArrayEquals(new double[] {0}, d.referenceToResult());
        assertEquals(3, d.hd95(), 1e-12);
        assertEquals(Math.sqrt(12), d.hausdorff(), 1e-12);
    }

    @Test
    void wordParallelSurfaceMatchesPerVoxelDefinition() {
        java.util.Random rnd = new java.util.Random(3);
        Grid[] grids = {new Grid(1, 5, 4), new Grid(7, 1, 3), new Grid(65, 3, 2), new Grid(64, 2, 3), Grid.of2d(31, 9), new Grid(13, 11, 17)};
        for (Grid g : grids) {
            BinaryMask m = BruteForce.random(g, 0.7, rnd);
            BinaryMask surface = SurfaceDistances.surface(m);
            for (int z = 0; z < g.nz(); z++) {
                for (int y = 0; y < g.ny(); y++) {
                    for (int x = 0; x < g.nx(); x++) {
                        boolean interior = m.get(x, y, z)
                                && x > 0 && m.get(x - 1, y, z) && x < g.nx() - 1 && m.get(x + 1, y, z)
                                && y > 0 && m.get(x, y - 1, z) && y < g.ny() - 1 && m.get(x, y + 1, z)
                                && (g.is2d() || (z > 0 && m.get(x, y, z - 1) && z < g.nz() - 1 && m.get(x, y, z + 1)));
                        assertEquals(m.get(x, y, z) && !interior, surface.get(x, y, z), g + " at " + x + "," + y + "," + z);
                    }
                }
            }
        }
    }

    @Test
    void distancesMatchBruteForceOnDenseSurfaces() {
        // noisy masks put many surface voxels in one column, which takes the envelope branch of the last pass
        java.util.Random rnd = new java.util.Random(9);
        Grid g = new Grid(10, 26, 7);
        Spacing s = new Spacing(0.9, 0.45, 2.2);
        BinaryMask a = BruteForce.random(g, 0.5, rnd);
        BinaryMask b = BruteForce.random(g, 0.02, rnd);
        SurfaceDistances d = SurfaceDistances.between(a, b, s);
        BinaryMask surfaceA = SurfaceDistances.surface(a);
        BinaryMask surfaceB = SurfaceDistances.surface(b);
        double[] ab = d.resultToReference();
        int k = 0;
        for (int i = 0; i < g.size(); i++) {
            if (surfaceA.get(i)) {
                assertEquals(Math.sqrt(BruteForce.squaredDistance(surfaceB, i, s)), ab[k++], 1e-9, "voxel " + i);
            }
        }
        assertEquals(surfaceA.count(), k);
    }

    @Test
    void emptyMaskIsUndefined() {
        Grid g = new Grid(4, 4, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SurfaceDistances.between(BinaryMask.empty(g), BruteForce.voxels(g, 1, 1, 1), Spacing.UNIT));
        assertEquals("surface distances are undefined for an empty mask (result 0 voxels, reference 1 voxels)", e.getMessage());
    }

    @Test
    void masksMustShareTheGrid() {
        assertThrows(IllegalArgumentException.class, () -> SurfaceDistances.between(
                BruteForce.voxels(new Grid(4, 4, 4), 1, 1, 1), BruteForce.voxels(new Grid(4, 4, 5), 1, 1, 1), Spacing.UNIT));
    }
}
