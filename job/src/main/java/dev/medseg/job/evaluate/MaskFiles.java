package dev.medseg.job.evaluate;

import dev.medseg.data.io.LabelVolume;
import dev.medseg.data.io.NiftiDatatype;
import dev.medseg.data.io.NiftiWriter;
import dev.medseg.data.io.VolumeGeometry;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Predicted masks as files, at native resolution: a 3-D case as a uint8 NIfTI label volume, a 2-D case as an 8-bit
 * gray PNG. Both read back with the project's readers ({@code score} compares such folders).
 */
public final class MaskFiles {
    private MaskFiles() {
    }

    /**
     * Writes a label volume as NIfTI ({@code .nii} or {@code .nii.gz}). The voxels are in the slice shards'
     * canonical RAS+ order (x along columns, y along rows, z along slices) with a diagonal affine of the spacing:
     * the shards keep the spacing but not the source file's origin and rotation.
     *
     * @param ids     class ids, {@code x + width*(y + height*z)}
     * @param spacing (row, column, slice) spacing in mm
     */
    public static void writeNifti(Path file, byte[] ids, int width, int height, int depth, double[] spacing) {
        double sx = spacing[1];
        double sy = spacing[0];
        double sz = spacing[2];
        double[][] affine = {{sx, 0, 0, 0}, {0, sy, 0, 0}, {0, 0, sz, 0}, {0, 0, 0, 1}};
        VolumeGeometry g = new VolumeGeometry(width, height, depth, new double[]{sx, sy, sz}, affine);
        int[] values = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            values[i] = ids[i] & 0xFF;
        }
        NiftiWriter.write(file, new LabelVolume(values, g, "uint8", file.toString()), NiftiDatatype.UINT8);
    }

    /**
     * Writes a 2-D mask as an 8-bit gray PNG: a binary model's mask as 0/255 (how lesion datasets publish masks),
     * a multi-class mask as its class ids 0, 1, 2, ...
     *
     * @param ids row-major (height, width) class ids
     */
    public static void writePng(Path file, byte[] ids, int width, int height, boolean binary) throws IOException {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = img.getRaster();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int id = ids[y * width + x] & 0xFF;
                raster.setSample(x, y, 0, binary ? (id > 0 ? 255 : 0) : id);
            }
        }
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer for " + file);
        }
    }
}
