package dev.medseg.data.io;

import java.util.Arrays;

/**
 * Shape and position of a 3-D voxel grid.
 *
 * <p>Voxel (x, y, z) is element {@code x + nx * (y + ny * z)} of the data arrays (x fastest, NIfTI's own
 * order). {@code spacing} is the voxel size in mm along x, y, z. {@code affine} is the 4x4 voxel-to-world
 * matrix, {@code world = affine * (x, y, z, 1)}, world in mm on NIfTI's RAS+ axes (+x toward the patient's
 * Right, +y Anterior, +z Superior).
 * Arrays are copied in and out, so a geometry cannot be changed after construction.
 */
public record VolumeGeometry(int nx, int ny, int nz, double[] spacing, double[][] affine) {

    /** Validates sizes and copies the arrays. */
    public VolumeGeometry {
        if (nx <= 0 || ny <= 0 || nz <= 0) {
            throw new IllegalArgumentException("dimensions must be positive: " + nx + "x" + ny + "x" + nz);
        }
        if ((long) nx * ny * nz > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many voxels for one array: " + nx + "x" + ny + "x" + nz);
        }
        if (spacing == null || spacing.length != 3) {
            throw new IllegalArgumentException("spacing must have 3 values");
        }
        spacing = spacing.clone();
        affine = copy4x4(affine);
    }

    /** Number of voxels, nx * ny * nz. */
    public int voxelCount() {
        return nx * ny * nz;
    }

    /** The voxel spacing in mm along x, y, z (a copy). */
    @Override
    public double[] spacing() {
        return spacing.clone();
    }

    /** The 4x4 voxel-to-world affine in mm (a copy). */
    @Override
    public double[][] affine() {
        return copy4x4(affine);
    }

    /** Index of voxel (x, y, z) in the data arrays; checks bounds. */
    public int index(int x, int y, int z) {
        if (x < 0 || x >= nx || y < 0 || y >= ny || z < 0 || z >= nz) {
            throw new IndexOutOfBoundsException("voxel (" + x + ", " + y + ", " + z + ") outside "
                    + nx + "x" + ny + "x" + nz);
        }
        return x + nx * (y + ny * z);
    }

    /** The orientation code of the voxel axes, e.g. "RAS" or "LPS" (see {@link CanonicalOrientation}). */
    public String orientationCode() {
        return CanonicalOrientation.orientationCode(affine);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VolumeGeometry g && nx == g.nx && ny == g.ny && nz == g.nz
                && Arrays.equals(spacing, g.spacing) && Arrays.deepEquals(affine, g.affine);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * nx + ny) + nz) + Arrays.hashCode(spacing) + Arrays.deepHashCode(affine);
    }

    @Override
    public String toString() {
        return "VolumeGeometry[" + nx + "x" + ny + "x" + nz + ", spacing=" + Arrays.toString(spacing)
                + ", affine=" + Arrays.deepToString(affine) + "]";
    }

    static double[][] copy4x4(double[][] m) {
        if (m == null || m.length != 4) {
            throw new IllegalArgumentException("affine must be 4x4");
        }
        double[][] c = new double[4][];
        for (int i = 0; i < 4; i++) {
            if (m[i] == null || m[i].length != 4) {
                throw new IllegalArgumentException("affine must be 4x4");
            }
            c[i] = m[i].clone();
        }
        return c;
    }
}
