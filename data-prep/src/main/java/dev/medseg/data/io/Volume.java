package dev.medseg.data.io;

/**
 * A 3-D image volume with intensities as float (after NIfTI scl_slope/scl_inter).
 *
 * <p>{@code data[x + nx * (y + ny * z)]} is voxel (x, y, z): x fastest, NIfTI's own order (see
 * {@link VolumeGeometry}). The array is shared, not copied (volumes are large). Non-finite values found in the
 * file are kept as they are; use {@link #countNonFinite()} to reject such cases.
 *
 * @param data     voxel values, length nx * ny * nz
 * @param geometry dimensions, spacing (mm) and voxel-to-world affine
 * @param datatype the NIfTI datatype stored in the file, e.g. "int16"
 * @param source   the file the volume was read from
 */
public record Volume(float[] data, VolumeGeometry geometry, String datatype, String source) implements GridVolume {

    /** Checks that the data length matches the geometry. */
    public Volume {
        if (data == null || geometry == null || data.length != geometry.voxelCount()) {
            throw new IllegalArgumentException("data length " + (data == null ? "null" : data.length)
                    + " does not match geometry " + geometry);
        }
    }

    /** The value of voxel (x, y, z). */
    public float value(int x, int y, int z) {
        return data[geometry.index(x, y, z)];
    }

    /**
     * A copy of slice z (the plane of constant z; axial after {@link #toCanonical()}), row-major
     * {@code [y][x]}: element {@code x + nx * y}. Only that slice is copied.
     */
    public float[] axialSlice(int z) {
        int start = sliceStart(z);
        float[] slice = new float[nx() * ny()];
        System.arraycopy(data, start, slice, 0, slice.length);
        return slice;
    }

    /** How many voxels are NaN or infinite (the reader never changes them). */
    public long countNonFinite() {
        long count = 0;
        for (float v : data) {
            if (!Float.isFinite(v)) {
                count++;
            }
        }
        return count;
    }

    /** This volume in canonical RAS+ voxel order (see {@link CanonicalOrientation}); axis 2 is axial. */
    public Volume toCanonical() {
        return CanonicalOrientation.toCanonical(this);
    }
}
