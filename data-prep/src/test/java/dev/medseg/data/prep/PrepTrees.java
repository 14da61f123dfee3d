package dev.medseg.data.prep;

import dev.medseg.data.io.LabelVolume;
import dev.medseg.data.io.NiftiDatatype;
import dev.medseg.data.io.NiftiWriter;
import dev.medseg.data.io.Volume;
import dev.medseg.data.io.VolumeGeometry;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntBinaryOperator;

/** Small generated dataset trees for the prep tests. */
final class PrepTrees {

    static final double[] SPACING = {0.8, 0.7, 2.5};

    private PrepTrees() {
    }

    interface VoxelFn {
        float at(int x, int y, int z);
    }

    static VolumeGeometry geometry(int nx, int ny, int nz) {
        double[][] affine = {{SPACING[0], 0, 0, 0}, {0, SPACING[1], 0, 0}, {0, 0, SPACING[2], 0}, {0, 0, 0, 1}};
        return new VolumeGeometry(nx, ny, nz, SPACING, affine);
    }

    static void volume(Path file, int nx, int ny, int nz, VoxelFn f, NiftiDatatype type) {
        float[] data = new float[nx * ny * nz];
        for (int z = 0; z < nz; z++) {
            for (int y = 0; y < ny; y++) {
                for (int x = 0; x < nx; x++) {
                    data[x + nx * (y + ny * z)] = f.at(x, y, z);
                }
            }
        }
        mkdirs(file);
        NiftiWriter.write(file, new Volume(data, geometry(nx, ny, nz), type.name(), "test"), type);
    }

    static void labels(Path file, int nx, int ny, int nz, VoxelFn f) {
        int[] ids = new int[nx * ny * nz];
        for (int z = 0; z < nz; z++) {
            for (int y = 0; y < ny; y++) {
                for (int x = 0; x < nx; x++) {
                    ids[x + nx * (y + ny * z)] = (int) f.at(x, y, z);
                }
            }
        }
        mkdirs(file);
        NiftiWriter.write(file, new LabelVolume(ids, geometry(nx, ny, nz), "uint8", "test"), NiftiDatatype.UINT8);
    }

    /** A gray 8-bit PNG whose pixel (x, y) is f(x, y). */
    static void png(Path file, int w, int h, IntBinaryOperator f) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, f.applyAsInt(x, y));
            }
        }
        mkdirs(file);
        try {
            ImageIO.write(img, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void mkdirs(Path file) {
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
