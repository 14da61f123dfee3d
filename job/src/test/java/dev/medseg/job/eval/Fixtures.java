package dev.medseg.job.eval;

import dev.medseg.data.io.LabelVolume;
import dev.medseg.data.io.NiftiDatatype;
import dev.medseg.data.io.NiftiWriter;
import dev.medseg.data.io.VolumeGeometry;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/** Small label files for the scoring tests, written with the project's own NIfTI writer and ImageIO. */
final class Fixtures {
    private Fixtures() {
    }

    /** A label volume with every id 0. */
    static int[] zeros(int nx, int ny, int nz) {
        return new int[nx * ny * nz];
    }

    /** Sets the box [x0,x1]x[y0,y1]x[z0,z1] (inclusive) to {@code id}. */
    static void box(int[] ids, int nx, int ny, int id, int x0, int x1, int y0, int y1, int z0, int z1) {
        for (int z = z0; z <= z1; z++) {
            for (int y = y0; y <= y1; y++) {
                for (int x = x0; x <= x1; x++) {
                    ids[x + nx * (y + ny * z)] = id;
                }
            }
        }
    }

    /** Writes a uint8 NIfTI label map with the given spacing (axis-aligned affine). */
    static void nifti(Path file, int[] ids, int nx, int ny, int nz, double sx, double sy, double sz) {
        double[][] affine = {{sx, 0, 0, 0}, {0, sy, 0, 0}, {0, 0, sz, 0}, {0, 0, 0, 1}};
        VolumeGeometry g = new VolumeGeometry(nx, ny, nz, new double[]{sx, sy, sz}, affine);
        NiftiWriter.write(file, new LabelVolume(ids, g, "uint8", file.toString()), NiftiDatatype.UINT8);
    }

    /** Writes an 8-bit gray PNG whose samples are {@code values[y * w + x]}. */
    static void png(Path file, int[] values, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, values[y * w + x]);
            }
        }
        ImageIO.write(img, "png", file.toFile());
    }
}
