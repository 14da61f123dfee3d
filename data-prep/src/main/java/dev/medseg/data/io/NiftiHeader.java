package dev.medseg.data.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The fields of a NIfTI-1 header this project uses, validated and converted to mm.
 *
 * @param file      the file the header was read from (for messages)
 * @param byteOrder byte order of header and data, detected from sizeof_hdr == 348
 * @param singleFile true for magic "n+1" (data in the same file), false for "ni1" (.hdr/.img pair)
 * @param dimCount  dim[0]: 2, 3 or 4
 * @param frames    dim[4] for 4-D images, else 1
 * @param datatype  the voxel type (bitpix checked against it)
 * @param geometry  nx, ny, nz (1 for 2-D), spacing |pixdim[1..3]| in mm and the voxel-to-world affine in mm
 * @param voxOffset byte offset of the voxel data in the data file
 * @param slope     scl_slope to apply, 1 when the header asks for no scaling
 * @param inter     scl_inter to apply, 0 when the header asks for no scaling
 * @param qformCode qform_code
 * @param sformCode sform_code (the affine comes from sform when > 0, else qform when > 0, else pixdim)
 */
public record NiftiHeader(String file, ByteOrder byteOrder, boolean singleFile, int dimCount, int frames,
                          NiftiDatatype datatype, VolumeGeometry geometry, long voxOffset, double slope,
                          double inter, int qformCode, int sformCode) {

    /** Size of a NIfTI-1 header in bytes. */
    public static final int SIZE = 348;
    /** Smallest vox_offset of a single-file image: header plus the 4-byte extension flag. */
    public static final int MIN_SINGLE_FILE_OFFSET = 352;

    /** True when voxel values are transformed by slope and intercept. */
    public boolean scaled() {
        return slope != 1 || inter != 0;
    }

    /** Voxels in one 3-D frame. */
    public long frameVoxels() {
        return (long) geometry.nx() * geometry.ny() * geometry.nz();
    }

    /** Bytes of voxel data in one 3-D frame. */
    public long frameBytes() {
        return frameVoxels() * datatype.bytes();
    }

    /** Bytes of voxel data of all frames; checked not to overflow at parse time. */
    public long dataBytes() {
        return frameBytes() * frames;
    }

    /**
     * Parses and validates the 348 header bytes.
     *
     * @throws ImageFormatException naming {@code file} for any invalid or unsupported field
     */
    public static NiftiHeader parse(byte[] bytes, String file) {
        if (bytes.length < SIZE) {
            throw new ImageFormatException(file, "file is too short for a NIfTI-1 header: " + bytes.length
                    + " of " + SIZE + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, SIZE);
        ByteOrder order = detectOrder(b, file);
        b.order(order);

        String magic = magic(bytes);
        boolean single;
        if (magic.equals("n+1")) {
            single = true;
        } else if (magic.equals("ni1")) {
            single = false;
        } else {
            throw new ImageFormatException(file, "bad magic \"" + magic + "\" at byte 344: expected \"n+1\" or"
                    + " \"ni1\" (not NIfTI-1; plain ANALYZE 7.5 is not supported)");
        }

        short[] dim = new short[8];
        for (int i = 0; i < 8; i++) {
            dim[i] = b.getShort(40 + 2 * i);
        }
        int dimCount = dim[0];
        if (dimCount < 2 || dimCount > 4) {
            throw new ImageFormatException(file, "dim[0] is " + dimCount
                    + "; only 2-D, 3-D and 4-D images are supported");
        }
        for (int i = 1; i <= dimCount; i++) {
            if (dim[i] <= 0) {
                throw new ImageFormatException(file, "dim[" + i + "] is " + dim[i] + ", must be positive");
            }
        }
        int nx = dim[1];
        int ny = dim[2];
        int nz = dimCount >= 3 ? dim[3] : 1;
        int frames = dimCount == 4 ? dim[4] : 1;

        int code = b.getShort(70);
        NiftiDatatype type = NiftiDatatype.fromCode(code);
        if (type == null) {
            throw new ImageFormatException(file, "unsupported datatype " + NiftiDatatype.describeCode(code)
                    + "; only scalar integer and float types are read (no RGB, complex or float128)");
        }
        int bitpix = b.getShort(72);
        if (bitpix != type.bitpix()) {
            throw new ImageFormatException(file, "bitpix " + bitpix + " does not match datatype "
                    + NiftiDatatype.describeCode(code) + " (expects " + type.bitpix() + ")");
        }

        float rawOffset = b.getFloat(108);
        if (!Float.isFinite(rawOffset) || rawOffset < 0 || rawOffset != Math.rint(rawOffset)
                || rawOffset > 1e15f) {
            throw new ImageFormatException(file, "vox_offset " + rawOffset
                    + " is not a non-negative whole number of bytes");
        }
        long voxOffset = (long) rawOffset;
        if (single && voxOffset < MIN_SINGLE_FILE_OFFSET) {
            throw new ImageFormatException(file, "vox_offset " + voxOffset + " is less than "
                    + MIN_SINGLE_FILE_OFFSET + " in a single-file (n+1) NIfTI");
        }

        double unit = spatialUnitToMm(b.get(123), file);
        float[] pixdim = new float[8];
        for (int i = 0; i < 8; i++) {
            pixdim[i] = b.getFloat(76 + 4 * i);
        }
        int[] sizes = {nx, ny, nz};
        double[] native3 = new double[3]; // spacing in the file's unit
        for (int i = 0; i < 3; i++) {
            float p = pixdim[i + 1];
            boolean present = i < dimCount;
            if (present && !Float.isFinite(p)) {
                throw new ImageFormatException(file, "pixdim[" + (i + 1) + "] is " + p);
            }
            if (!present || !Float.isFinite(p) || p == 0) {
                if (present && sizes[i] > 1) {
                    throw new ImageFormatException(file, "pixdim[" + (i + 1) + "] is 0 for an axis of "
                            + sizes[i] + " voxels");
                }
                native3[i] = 1; // a single-voxel (or absent, 2-D) axis: spacing is arbitrary
            } else {
                native3[i] = Math.abs(p);
            }
        }
        double[] spacing = {native3[0] * unit, native3[1] * unit, native3[2] * unit};

        float slope = b.getFloat(112);
        float inter = b.getFloat(116);
        double useSlope = 1;
        double useInter = 0;
        if (slope != 0 && Float.isFinite(slope)) { // nibabel's rule: 0, NaN or inf slope means "no scaling"
            if (!Float.isFinite(inter)) {
                throw new ImageFormatException(file, "scl_slope is " + slope + " but scl_inter is " + inter);
            }
            useSlope = slope;
            useInter = inter;
        }

        int qformCode = b.getShort(252);
        int sformCode = b.getShort(254);
        double[][] affine;
        String source;
        if (sformCode > 0) {
            affine = new double[4][4];
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 4; c++) {
                    affine[r][c] = b.getFloat(280 + 16 * r + 4 * c);
                }
            }
            source = "sform";
        } else if (qformCode > 0) {
            affine = qformAffine(b, native3, pixdim[0]);
            source = "qform";
        } else {
            // NIfTI-1 "method 1": plain scaling, no offset (nibabel instead flips x and centres the grid)
            affine = new double[4][4];
            for (int i = 0; i < 3; i++) {
                affine[i][i] = native3[i];
            }
            source = "pixdim";
        }
        affine[3] = new double[] {0, 0, 0, 1};
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                if (!Double.isFinite(affine[r][c])) {
                    throw new ImageFormatException(file, source + " affine has a non-finite entry "
                            + affine[r][c]);
                }
                affine[r][c] *= unit;
            }
        }
        double det = CanonicalOrientation.det3(affine);
        if (!(Math.abs(det) > 1e-12 * spacing[0] * spacing[1] * spacing[2])) {
            throw new ImageFormatException(file, source + " affine is singular (determinant " + det + ")");
        }

        long frameVoxels = (long) nx * ny * nz;
        try {
            Math.multiplyExact(Math.multiplyExact(frameVoxels, (long) frames), (long) type.bytes());
        } catch (ArithmeticException e) {
            throw new ImageFormatException(file, "declared data size overflows a 64-bit byte count");
        }
        if (frameVoxels > Integer.MAX_VALUE - 8) {
            throw new ImageFormatException(file, "declared frame of " + nx + "x" + ny + "x" + nz + " = "
                    + frameVoxels + " voxels is larger than one Java array can hold");
        }
        VolumeGeometry geometry = new VolumeGeometry(nx, ny, nz, spacing, affine);
        return new NiftiHeader(file, order, single, dimCount, frames, type, geometry, voxOffset, useSlope,
                useInter, qformCode, sformCode);
    }

    private static ByteOrder detectOrder(ByteBuffer b, String file) {
        int little = b.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        int big = b.order(ByteOrder.BIG_ENDIAN).getInt(0);
        if (little == SIZE) {
            return ByteOrder.LITTLE_ENDIAN;
        }
        if (big == SIZE) {
            return ByteOrder.BIG_ENDIAN;
        }
        if (little == 540 || big == 540) {
            throw new ImageFormatException(file, "NIfTI-2 header (sizeof_hdr 540) is not supported");
        }
        throw new ImageFormatException(file, "not a NIfTI-1 header: sizeof_hdr is " + little
                + " read little-endian and " + big + " read big-endian, expected 348");
    }

    private static String magic(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 344; i < 348; i++) {
            int c = bytes[i] & 0xFF;
            if (c == 0 && i == 347) {
                break;
            }
            sb.append(c >= 32 && c < 127 ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return sb.toString();
    }

    private static double spatialUnitToMm(byte xyztUnits, String file) {
        return switch (xyztUnits & 0x07) {
            case 0, 2 -> 1.0; // unknown is taken as mm, as every tool does
            case 1 -> 1000.0; // meter
            case 3 -> 0.001; // micron
            default -> throw new ImageFormatException(file, "xyzt_units " + (xyztUnits & 0xFF)
                    + " has an unknown spatial unit code " + (xyztUnits & 0x07));
        };
    }

    /** NIfTI-1 "method 2": rotation from the quaternion (b, c, d), zooms, qfac = sign of pixdim[0]. */
    private static double[][] qformAffine(ByteBuffer b, double[] zooms, float pixdim0) {
        double qb = b.getFloat(256);
        double qc = b.getFloat(260);
        double qd = b.getFloat(264);
        double qa;
        double rest = 1.0 - (qb * qb + qc * qc + qd * qd);
        if (rest < 1e-7) { // as nifti1_io: renormalise (b, c, d), a 180-degree rotation
            double norm = 1.0 / Math.sqrt(qb * qb + qc * qc + qd * qd);
            qb *= norm;
            qc *= norm;
            qd *= norm;
            qa = 0;
        } else {
            qa = Math.sqrt(rest);
        }
        double qfac = pixdim0 < 0 ? -1 : 1;
        double[][] r = {
            {qa * qa + qb * qb - qc * qc - qd * qd, 2 * (qb * qc - qa * qd), 2 * (qb * qd + qa * qc)},
            {2 * (qb * qc + qa * qd), qa * qa + qc * qc - qb * qb - qd * qd, 2 * (qc * qd - qa * qb)},
            {2 * (qb * qd - qa * qc), 2 * (qc * qd + qa * qb), qa * qa + qd * qd - qc * qc - qb * qb}};
        double[][] affine = new double[4][4];
        double[] scale = {zooms[0], zooms[1], zooms[2] * qfac};
        for (int row = 0; row < 3; row++) {
            for (int c = 0; c < 3; c++) {
                affine[row][c] = r[row][c] * scale[c];
            }
        }
        affine[0][3] = b.getFloat(268);
        affine[1][3] = b.getFloat(272);
        affine[2][3] = b.getFloat(276);
        return affine;
    }
}
