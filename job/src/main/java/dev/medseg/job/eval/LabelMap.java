package dev.medseg.job.eval;

import dev.medseg.data.io.Image2d;
import dev.medseg.data.io.Image2dReader;
import dev.medseg.data.io.LabelVolume;
import dev.medseg.data.io.NiftiReader;
import dev.medseg.model.metrics.Grid;
import dev.medseg.model.metrics.Spacing;

import java.nio.file.Path;
import java.util.Locale;

/**
 * A label map read from a mask file: one class id per voxel, x fastest ({@code x + nx*(y + ny*z)}), with the
 * voxel spacing (mm) from the file (1, 1, 1 for PNG). Ids are exact non-negative integers.
 *
 * @param ids     class id per voxel
 * @param grid    dimensions (nz = 1 for a PNG or a 2-D NIfTI)
 * @param spacing voxel size from the header, or {@link Spacing#UNIT} for PNG
 * @param source  the file read
 */
public record LabelMap(int[] ids, Grid grid, Spacing spacing, String source) {

    /** Checks that the ids fill the grid. */
    public LabelMap {
        if (ids.length != grid.size()) {
            throw new IllegalArgumentException(source + ": " + ids.length + " ids for grid " + grid);
        }
    }

    /** The case id of a mask file: its name without {@code .nii.gz}, {@code .nii} or {@code .png}; else null. */
    public static String caseId(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        for (String ext : new String[]{".nii.gz", ".nii", ".png"}) {
            if (lower.endsWith(ext) && lower.length() > ext.length()) {
                return fileName.substring(0, fileName.length() - ext.length());
            }
        }
        return null;
    }

    /**
     * Reads a NIfTI label map (ids exact; scaled or float data must be whole numbers) or a PNG mask. The spacing is
     * the NIfTI header's, invalid spacing being an error only when it is used. Any failure is an
     * {@link dev.medseg.data.io.ImageFormatException} or {@link IllegalArgumentException} naming the file.
     */
    public static LabelMap read(Path file) {
        String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (lower.endsWith(".png")) {
            return readPng(file);
        }
        LabelVolume v = new NiftiReader().readLabels(file);
        return new LabelMap(v.ids(), new Grid(v.nx(), v.ny(), v.nz()), spacingOrNull(v.spacing()), file.toString());
    }

    /** Whether the spacing is valid; a header with zero or NaN pixdim gives a map without one. */
    public boolean hasSpacing() {
        return spacing != null;
    }

    /** The size as text, e.g. {@code 64x64x20} or {@code 256x256} for 2-D. */
    public String shapeText() {
        return grid.nz() == 1 ? grid.nx() + "x" + grid.ny() : grid.nx() + "x" + grid.ny() + "x" + grid.nz();
    }

    private static Spacing spacingOrNull(double[] s) {
        try {
            return new Spacing(s[0], s[1], s[2]);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * A PNG mask: gray (or RGB with R = G = B, alpha ignored). A mask whose only non-zero value is full scale
     * (255 in 8-bit, 65535 in 16-bit) is binary: full scale is class 1, as ISIC/BUSI/CVC masks store it.
     * Otherwise the stored samples are the class ids (0, 1, 2, ... as nnU-Net writes 2-D label PNGs).
     */
    private static LabelMap readPng(Path file) {
        Image2d image = new Image2dReader().read(file);
        int plane = image.width() * image.height();
        float[] v = image.data();
        if (image.channels() == 3) {
            for (int i = 0; i < plane; i++) {
                if (v[i] != v[plane + i] || v[i] != v[2 * plane + i]) {
                    throw new IllegalArgumentException(file + ": colour mask (R, G, B differ at pixel " + (i % image.width())
                            + "," + (i / image.width()) + "), expected a gray label map");
                }
            }
        }
        boolean binaryFullScale = true;
        for (int i = 0; i < plane && binaryFullScale; i++) {
            binaryFullScale = v[i] == 0f || v[i] == 1f;
        }
        int[] ids = new int[plane];
        if (binaryFullScale) {
            for (int i = 0; i < plane; i++) {
                ids[i] = v[i] == 0f ? 0 : 1;
            }
        } else if (!toIds(v, plane, 255, 1e-3, ids) && !toIds(v, plane, 65535, 0.01, ids)) {
            throw new IllegalArgumentException(file + ": values are neither a 0/full-scale binary mask nor whole 8- or 16-bit label ids");
        }
        return new LabelMap(ids, Grid.of2d(image.width(), image.height()), Spacing.UNIT, file.toString());
    }

    // samples reach us as float sample/scale: float rounding is below 2e-5 at 8 bits and 5e-3 at 16 bits, while a
    // 16-bit sample read as 8-bit is off a whole number by at least 1/257, so the tolerances cannot confuse the two
    private static boolean toIds(float[] v, int n, int scale, double tolerance, int[] ids) {
        for (int i = 0; i < n; i++) {
            double x = v[i] * (double) scale;
            long id = Math.round(x);
            if (Math.abs(x - id) > tolerance) {
                return false;
            }
            ids[i] = (int) id;
        }
        return true;
    }
}
