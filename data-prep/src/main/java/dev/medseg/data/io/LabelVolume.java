package dev.medseg.data.io;

/**
 * A 3-D label map of non-negative integer class ids, stored exactly.
 *
 * <p>Ids are kept in an {@code int[]} (4 bytes a voxel) rather than a short or byte array: any id from 0 to
 * 2^31-1 (well past the 65535 needed by some atlases) is held without unsigned-arithmetic traps.
 * Memory order as {@link Volume}: {@code ids[x + nx * (y + ny * z)]}. The array is shared, not copied.
 *
 * @param ids      class id per voxel, length nx * ny * nz, each >= 0
 * @param geometry dimensions, spacing (mm) and voxel-to-world affine
 * @param datatype the NIfTI datatype stored in the file, e.g. "uint8"
 * @param source   the file the labels were read from
 */
public record LabelVolume(int[] ids, VolumeGeometry geometry, String datatype, String source) implements GridVolume {

    /** Checks that the data length matches the geometry. */
    public LabelVolume {
        if (ids == null || geometry == null || ids.length != geometry.voxelCount()) {
            throw new IllegalArgumentException("ids length " + (ids == null ? "null" : ids.length)
                    + " does not match geometry " + geometry);
        }
    }

    /** The id of voxel (x, y, z). */
    public int id(int x, int y, int z) {
        return ids[geometry.index(x, y, z)];
    }

    /** A copy of slice z, row-major {@code [y][x]} (element {@code x + nx * y}); only that slice is copied. */
    public int[] axialSlice(int z) {
        int start = sliceStart(z);
        int[] slice = new int[nx() * ny()];
        System.arraycopy(ids, start, slice, 0, slice.length);
        return slice;
    }

    /** The largest id present (0 for an empty map). */
    public int maxId() {
        int max = 0;
        for (int id : ids) {
            max = Math.max(max, id);
        }
        return max;
    }

    /** This label map in canonical RAS+ voxel order (see {@link CanonicalOrientation}); axis 2 is axial. */
    public LabelVolume toCanonical() {
        return CanonicalOrientation.toCanonical(this);
    }
}
