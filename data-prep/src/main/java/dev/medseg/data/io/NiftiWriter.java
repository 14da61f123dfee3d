package dev.medseg.data.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;

/**
 * Writes 3-D NIfTI-1 images, little-endian: {@code .nii}, {@code .nii.gz} (single file, vox_offset 352) or
 * {@code .hdr} (with the voxels in the {@code .img} next to it), in any {@link NiftiDatatype}.
 *
 * <p>The geometry is stored twice, as NIfTI asks: sform (the affine as given, sform_code 1) and qform (closest
 * rotation as a quaternion with qfac, pixdim = spacing, qform_code 1). Units are mm; scl_slope 1, scl_inter 0.
 * Values must fit the chosen datatype exactly (whole numbers in range for integer types), otherwise an
 * {@link IllegalArgumentException} names the first voxel that does not: nothing is rounded or clipped silently.
 */
public final class NiftiWriter {

    private NiftiWriter() {
    }

    /** Writes an image volume; for integer datatypes every value must be a whole number in range. */
    public static void write(Path path, Volume volume, NiftiDatatype datatype) {
        float[] data = volume.data();
        write(path, volume.geometry(), datatype, i -> data[i]);
    }

    /** Writes a label map; every id must fit the datatype. */
    public static void write(Path path, LabelVolume labels, NiftiDatatype datatype) {
        int[] ids = labels.ids();
        write(path, labels.geometry(), datatype, i -> ids[i]);
    }

    private interface Values {
        double get(int index);
    }

    private static void write(Path path, VolumeGeometry g, NiftiDatatype type, Values values) {
        String lower = path.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean pair = lower.endsWith(".hdr");
        if (!pair && !lower.endsWith(".nii") && !lower.endsWith(".nii.gz")) {
            throw new IllegalArgumentException("NIfTI file name must end with .nii, .nii.gz or .hdr: " + path);
        }
        byte[] header = header(g, type, pair);
        try {
            if (pair) {
                Files.write(path, header);
                String name = path.getFileName().toString();
                Path image = path.resolveSibling(name.substring(0, name.length() - 4) + ".img");
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(image), 1 << 16)) {
                    writeVoxels(out, g, type, values);
                }
            } else {
                try (OutputStream out = open(path, lower.endsWith(".gz"))) {
                    out.write(header);
                    writeVoxels(out, g, type, values);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    private static OutputStream open(Path path, boolean gzip) throws IOException {
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 16);
        return gzip ? new GZIPOutputStream(out, 1 << 16) : out;
    }

    private static void writeVoxels(OutputStream out, VolumeGeometry g, NiftiDatatype type, Values values)
            throws IOException {
        int n = g.voxelCount();
        int size = type.bytes();
        ByteBuffer b = ByteBuffer.allocate(8192 * size).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            double v = values.get(i);
            switch (type) {
                case FLOAT32 -> b.putFloat((float) v);
                case FLOAT64 -> b.putDouble(v);
                default -> {
                    long bits = toInteger(v, type, i);
                    switch (size) {
                        case 1 -> b.put((byte) bits);
                        case 2 -> b.putShort((short) bits);
                        case 4 -> b.putInt((int) bits);
                        default -> b.putLong(bits);
                    }
                }
            }
            if (!b.hasRemaining()) {
                out.write(b.array(), 0, b.position());
                b.clear();
            }
        }
        out.write(b.array(), 0, b.position());
    }

    /** The two's-complement bits of a whole number that fits the integer type (uint64 above 2^63 included). */
    private static long toInteger(double v, NiftiDatatype type, int index) {
        // powers of two are exact doubles, unlike 2^63 - 1 and 2^64 - 1, so compare with an exclusive bound
        double upper = Math.scalb(1.0, type.isSigned() ? type.bitpix() - 1 : type.bitpix());
        if (!(v == Math.rint(v) && v >= type.minValue() && v < upper)) {
            throw new IllegalArgumentException("voxel " + index + " value " + v + " does not fit "
                    + type.name().toLowerCase(Locale.ROOT));
        }
        if (v >= 0x1p63) {
            return (long) (v - 0x1p63) ^ Long.MIN_VALUE;
        }
        return (long) v;
    }

    private static byte[] header(VolumeGeometry g, NiftiDatatype type, boolean pair) {
        ByteBuffer b = ByteBuffer.allocate(NiftiHeader.MIN_SINGLE_FILE_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, NiftiHeader.SIZE);
        if (g.nx() > Short.MAX_VALUE || g.ny() > Short.MAX_VALUE || g.nz() > Short.MAX_VALUE) {
            throw new IllegalArgumentException("NIfTI-1 dimensions are limited to 32767: " + g);
        }
        short[] dim = {3, (short) g.nx(), (short) g.ny(), (short) g.nz(), 1, 1, 1, 1};
        for (int i = 0; i < 8; i++) {
            b.putShort(40 + 2 * i, dim[i]);
        }
        b.putShort(70, (short) type.code());
        b.putShort(72, (short) type.bitpix());

        double[][] a = g.affine();
        double[] spacing = g.spacing();
        double[][] r = CanonicalOrientation.closestRotation(a);
        double qfac = 1;
        if (CanonicalOrientation.det3(r) < 0) { // a reflection: NIfTI stores it as qfac = -1 on the third axis
            qfac = -1;
            for (int row = 0; row < 3; row++) {
                r[row][2] = -r[row][2];
            }
        }
        b.putFloat(76, (float) qfac);
        for (int i = 0; i < 3; i++) {
            b.putFloat(80 + 4 * i, (float) spacing[i]);
        }
        b.putFloat(108, pair ? 0f : NiftiHeader.MIN_SINGLE_FILE_OFFSET);
        b.putFloat(112, 1f); // scl_slope
        b.putFloat(116, 0f); // scl_inter
        b.put(123, (byte) 2); // xyzt_units: mm
        byte[] descrip = "medseg NiftiWriter".getBytes(StandardCharsets.US_ASCII);
        b.put(148, descrip);
        b.putShort(252, (short) 1); // qform_code: scanner
        b.putShort(254, (short) 1); // sform_code: scanner
        double[] q = quaternion(r);
        b.putFloat(256, (float) q[1]);
        b.putFloat(260, (float) q[2]);
        b.putFloat(264, (float) q[3]);
        for (int row = 0; row < 3; row++) {
            b.putFloat(268 + 4 * row, (float) a[row][3]);
            for (int c = 0; c < 4; c++) {
                b.putFloat(280 + 16 * row + 4 * c, (float) a[row][c]);
            }
        }
        b.put(344, (pair ? "ni1\0" : "n+1\0").getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }

    /** Quaternion (a, b, c, d) with a >= 0 of a proper rotation, as nifti1_io's nifti_mat44_to_quatern. */
    private static double[] quaternion(double[][] r) {
        double a = r[0][0] + r[1][1] + r[2][2] + 1;
        double b;
        double c;
        double d;
        if (a > 0.5) {
            a = 0.5 * Math.sqrt(a);
            b = 0.25 * (r[2][1] - r[1][2]) / a;
            c = 0.25 * (r[0][2] - r[2][0]) / a;
            d = 0.25 * (r[1][0] - r[0][1]) / a;
        } else {
            double xd = 1 + r[0][0] - (r[1][1] + r[2][2]);
            double yd = 1 + r[1][1] - (r[0][0] + r[2][2]);
            double zd = 1 + r[2][2] - (r[0][0] + r[1][1]);
            if (xd > 1) {
                b = 0.5 * Math.sqrt(xd);
                c = 0.25 * (r[0][1] + r[1][0]) / b;
                d = 0.25 * (r[0][2] + r[2][0]) / b;
                a = 0.25 * (r[2][1] - r[1][2]) / b;
            } else if (yd > 1) {
                c = 0.5 * Math.sqrt(yd);
                b = 0.25 * (r[0][1] + r[1][0]) / c;
                d = 0.25 * (r[1][2] + r[2][1]) / c;
                a = 0.25 * (r[0][2] - r[2][0]) / c;
            } else {
                d = 0.5 * Math.sqrt(zd);
                b = 0.25 * (r[0][2] + r[2][0]) / d;
                c = 0.25 * (r[1][2] + r[2][1]) / d;
                a = 0.25 * (r[1][0] - r[0][1]) / d;
            }
            if (a < 0) {
                a = -a;
                b = -b;
                c = -c;
                d = -d;
            }
        }
        return new double[] {a, b, c, d};
    }
}
