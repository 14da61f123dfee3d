package dev.medseg.model.metrics;

/**
 * Physical voxel size along x, y and z (usually mm). {@link #UNIT} gives distances in voxels, which is what
 * TransUNet reports (medpy called without {@code voxelspacing}). For a 2-D grid {@code sz} is ignored.
 */
public record Spacing(double sx, double sy, double sz) {

    /** One unit per voxel on every axis: distances come out in voxels. */
    public static final Spacing UNIT = new Spacing(1, 1, 1);

    /** Validates that every spacing is finite and positive. */
    public Spacing {
        if (!(sx > 0 && sy > 0 && sz > 0) || Double.isInfinite(sx) || Double.isInfinite(sy) || Double.isInfinite(sz)) {
            throw new IllegalArgumentException("spacing must be finite and positive, got " + sx + ", " + sy + ", " + sz);
        }
    }
}
