package dev.medseg.data.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Canonical RAS+ reorientation: expected flips and permutations, and every voxel keeps its world position. */
class CanonicalOrientationTest {

    @Test
    void lpsGridFlipsXAndY() {
        double[][] lps = {{-0.7, 0, 0, 10}, {0, -0.8, 0, 20}, {0, 0, 2.5, 30}, {0, 0, 0, 1}};
        Volume v = coded(4, 3, 2, new double[] {0.7, 0.8, 2.5}, lps);
        assertEquals("LPS", v.geometry().orientationCode());

        Volume c = v.toCanonical();
        assertEquals("RAS", c.geometry().orientationCode());
        assertArrayEquals(new int[] {4, 3, 2}, new int[] {c.nx(), c.ny(), c.nz()});
        for (int z = 0; z < 2; z++) {
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 4; x++) {
                    assertEquals(v.value(3 - x, 2 - y, z), c.value(x, y, z));
                }
            }
        }
        assertArrayEquals(new double[] {0.7, 0.8, 2.5}, c.spacing(), 0);
        // new origin is old voxel (3, 2, 0): (10 - 3*0.7, 20 - 2*0.8, 30)
        assertArrayEquals(new double[] {0.7, 0, 0, 7.9}, c.affine()[0], 1e-12);
        assertArrayEquals(new double[] {0, 0.8, 0, 18.4}, c.affine()[1], 1e-12);
        assertArrayEquals(new double[] {0, 0, 2.5, 30}, c.affine()[2], 1e-12);
    }

    @Test
    void permutedAxesBecomeRasWithSpacingPermuted() {
        // voxel axis 0 runs Superior, axis 1 Right, axis 2 Posterior
        double[][] a = {{0, 2, 0, 1}, {0, 0, -3, 2}, {1.5, 0, 0, 3}, {0, 0, 0, 1}};
        Volume v = coded(2, 3, 4, new double[] {1.5, 2, 3}, a);
        assertEquals("SRP", v.geometry().orientationCode());

        Volume c = v.toCanonical();
        assertArrayEquals(new int[] {3, 4, 2}, new int[] {c.nx(), c.ny(), c.nz()});
        assertArrayEquals(new double[] {2, 3, 1.5}, c.spacing(), 0);
        for (int k = 0; k < 2; k++) {
            for (int j = 0; j < 4; j++) {
                for (int i = 0; i < 3; i++) {
                    assertEquals(v.value(k, i, 3 - j), c.value(i, j, k));
                }
            }
        }
        // axis 2 is the axial (S) axis now
        double[][] ca = c.affine();
        assertEquals(1.5, ca[2][2], 0);
        assertEquals(0, ca[0][2], 0);
        assertEquals(0, ca[1][2], 0);
        assertEquals("RAS", c.geometry().orientationCode());
    }

    @Test
    void everyVoxelKeepsItsWorldPositionForRandomObliqueGrids() {
        Random random = new Random(7);
        for (int trial = 0; trial < 50; trial++) {
            double[][] rotation = randomRotation(random);
            int[] perm = permutation(random);
            double[] spacing = {0.5 + random.nextDouble(), 0.5 + random.nextDouble(), 1 + 3 * random.nextDouble()};
            double[][] a = new double[4][4];
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 3; c++) {
                    double sign = random.nextBoolean() ? 1 : -1; // random signs in row 0 add shear
                    a[r][c] = rotation[r][perm[c]] * spacing[c] * (r == 0 ? sign : 1);
                }
                a[r][3] = random.nextGaussian() * 50;
            }
            a[3][3] = 1;
            // flip whole columns: reflections of voxel axes
            for (int c = 0; c < 3; c++) {
                if (random.nextBoolean()) {
                    for (int r = 0; r < 3; r++) {
                        a[r][c] = -a[r][c];
                    }
                }
            }
            int nx = 2 + random.nextInt(4);
            int ny = 2 + random.nextInt(4);
            int nz = 2 + random.nextInt(4);
            Volume v;
            try {
                v = coded(nx, ny, nz, spacing, a);
            } catch (IllegalArgumentException singular) {
                continue;
            }
            Volume c = v.toCanonical();
            assertEquals("RAS", c.geometry().orientationCode(), "trial " + trial);
            double[][] ca = c.affine();
            for (int z = 0; z < c.nz(); z++) {
                for (int y = 0; y < c.ny(); y++) {
                    for (int x = 0; x < c.nx(); x++) {
                        int old = (int) c.value(x, y, z); // coded() stores the old flat index
                        int ox = old % nx;
                        int oy = (old / nx) % ny;
                        int oz = old / (nx * ny);
                        double[] before = world(a, ox, oy, oz);
                        double[] after = world(ca, x, y, z);
                        assertArrayEquals(before, after, 1e-9, "trial " + trial);
                    }
                }
            }
            // spacing follows its axis: the new axis k has the column norm of the old axis it came from
            for (int k = 0; k < 3; k++) {
                double norm = Math.sqrt(ca[0][k] * ca[0][k] + ca[1][k] * ca[1][k] + ca[2][k] * ca[2][k]);
                assertEquals(norm, c.spacing()[k], 1e-9);
            }
        }
    }

    @Test
    void labelsMoveExactlyLikeImages() {
        double[][] a = {{0, 2, 0, 1}, {0, 0, -3, 2}, {1.5, 0, 0, 3}, {0, 0, 0, 1}};
        Volume v = coded(2, 3, 4, new double[] {1.5, 2, 3}, a);
        int[] ids = new int[24];
        for (int i = 0; i < 24; i++) {
            ids[i] = 65535 - i;
        }
        LabelVolume labels = new LabelVolume(ids, v.geometry(), "uint16", "mem");
        LabelVolume cl = labels.toCanonical();
        Volume cv = v.toCanonical();
        assertEquals(cv.geometry(), cl.geometry());
        for (int i = 0; i < 24; i++) {
            assertEquals(65535 - (int) cv.data()[i], cl.ids()[i]);
        }
    }

    @Test
    void canonicalInputIsReturnedAsIs() {
        Volume v = coded(2, 2, 2, new double[] {1, 1, 1}, new double[][] {
            {1, 0.1, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}});
        assertSame(v, v.toCanonical());
        assertSame(v.toCanonical(), v.toCanonical().toCanonical());
    }

    @Test
    void singularAffineIsRefused() {
        double[][] singular = {{1, 1, 0, 0}, {1, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
        assertThrows(IllegalArgumentException.class, () -> CanonicalOrientation.axisOrientation(singular));
    }

    /** A volume whose voxel values are their own flat index. */
    private static Volume coded(int nx, int ny, int nz, double[] spacing, double[][] affine) {
        CanonicalOrientation.axisOrientation(affine); // throws IllegalArgumentException when singular
        float[] data = new float[nx * ny * nz];
        for (int i = 0; i < data.length; i++) {
            data[i] = i;
        }
        return new Volume(data, new VolumeGeometry(nx, ny, nz, spacing, affine), "float32", "mem");
    }

    private static double[] world(double[][] a, int x, int y, int z) {
        double[] w = new double[3];
        for (int r = 0; r < 3; r++) {
            w[r] = a[r][0] * x + a[r][1] * y + a[r][2] * z + a[r][3];
        }
        return w;
    }

    private static int[] permutation(Random random) {
        int[] p = {0, 1, 2};
        for (int i = 2; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** A rotation of up to about 35 degrees about a random axis (Rodrigues). */
    private static double[][] randomRotation(Random random) {
        double[] k = {random.nextGaussian(), random.nextGaussian(), random.nextGaussian()};
        double n = Math.sqrt(k[0] * k[0] + k[1] * k[1] + k[2] * k[2]);
        for (int i = 0; i < 3; i++) {
            k[i] /= n;
        }
        double t = (random.nextDouble() - 0.5) * 1.2;
        double c = Math.cos(t);
        double s = Math.sin(t);
        double[][] r = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                r[i][j] = (i == j ? c : 0) + (1 - c) * k[i] * k[j];
            }
        }
        r[0][1] -= s * k[2];
        r[0][2] += s * k[1];
        r[1][0] += s * k[2];
        r[1][2] -= s * k[0];
        r[2][0] -= s * k[1];
        r[2][1] += s * k[0];
        return r;
    }
}
