package dev.medseg.model.metrics;

/**
 * Voxel grid dimensions in memory order: x varies fastest, the flat index is {@code x + nx*(y + ny*z)}.
 * A 2-D image is a grid with {@code nz == 1}; surface extraction then uses the in-plane 4-neighbourhood,
 * as medpy does for a 2-D array.
 */
public record Grid(int nx, int ny, int nz) {

    /** Validates that every extent is positive and the voxel count fits a Java array index. */
    public Grid {
        if (nx <= 0 || ny <= 0 || nz <= 0) {
            throw new IllegalArgumentException("grid extents must be positive, got " + nx + "x" + ny + "x" + nz);
        }
        if ((long) nx * ny * nz > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("grid " + nx + "x" + ny + "x" + nz + " has more voxels than an array can hold");
        }
    }

    /** A 2-D grid ({@code nz == 1}). */
    public static Grid of2d(int nx, int ny) {
        return new Grid(nx, ny, 1);
    }

    /** Number of voxels. */
    public int size() {
        return nx * ny * nz;
    }

    /** True when the grid is a single slice, which the surface metrics treat as 2-D. */
    public boolean is2d() {
        return nz == 1;
    }

    /** Flat index of voxel (x, y, z); no bounds check beyond what the caller guarantees. */
    public int index(int x, int y, int z) {
        return x + nx * (y + ny * z);
    }

    /** Throws when {@code length} is not this grid's voxel count; {@code what} names the array. */
    void requireLength(int length, String what) {
        if (length != size()) {
            throw new IllegalArgumentException(what + " has " + length + " elements but grid " + this + " needs " + size());
        }
    }
}
