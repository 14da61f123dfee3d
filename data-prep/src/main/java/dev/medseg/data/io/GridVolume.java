package dev.medseg.data.io;

/**
 * What image volumes and label maps share: the voxel grid they are stored on ({@link VolumeGeometry}), x fastest,
 * and slices of constant z.
 */
public interface GridVolume {
    /** Dimensions, spacing (mm) and voxel-to-world affine. */
    VolumeGeometry geometry();

    /** Number of voxels along x. */
    default int nx() {
        return geometry().nx();
    }

    /** Number of voxels along y. */
    default int ny() {
        return geometry().ny();
    }

    /** Number of voxels along z (slices). */
    default int nz() {
        return geometry().nz();
    }

    /** Voxel spacing in mm along x, y, z. */
    default double[] spacing() {
        return geometry().spacing();
    }

    /** The 4x4 voxel-to-world affine (mm). */
    default double[][] affine() {
        return geometry().affine();
    }

    /** The index of slice z's first voxel in the data array, after checking that z is a slice. */
    default int sliceStart(int z) {
        if (z < 0 || z >= nz()) {
            throw new IndexOutOfBoundsException("slice " + z + " outside 0.." + (nz() - 1));
        }
        return z * nx() * ny();
    }
}
