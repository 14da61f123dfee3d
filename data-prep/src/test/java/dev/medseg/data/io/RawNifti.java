package dev.medseg.data.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Hand-built NIfTI-1 bytes for tests, written field by field from the standard's layout and independent of
 * {@link NiftiWriter}, so reader bugs mirrored in the writer cannot hide.
 */
final class RawNifti {

    ByteOrder order = ByteOrder.LITTLE_ENDIAN;
    int sizeofHdr = 348;
    short[] dim = {3, 2, 3, 2, 1, 1, 1, 1};
    int datatype = 4;
    int bitpix = 16;
    float[] pixdim = {1, 1, 1, 1, 0, 0, 0, 0};
    float voxOffset = 352;
    float sclSlope = 0;
    float sclInter = 0;
    int xyztUnits = 2;
    int qformCode = 0;
    int sformCode = 0;
    float[] quatern = {0, 0, 0};
    float[] qoffset = {0, 0, 0};
    float[][] srow = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}};
    String magic = "n+1";

    RawNifti type(NiftiDatatype t) {
        datatype = t.code();
        bitpix = t.bitpix();
        return this;
    }

    RawNifti dims(int... d) {
        dim = new short[] {(short) d.length, 1, 1, 1, 1, 1, 1, 1};
        for (int i = 0; i < d.length; i++) {
            dim[i + 1] = (short) d[i];
        }
        return this;
    }

    RawNifti order(ByteOrder o) {
        order = o;
        return this;
    }

    /** The 348 header bytes. */
    byte[] header() {
        ByteBuffer b = ByteBuffer.allocate(348).order(order);
        b.putInt(0, sizeofHdr);
        for (int i = 0; i < 8; i++) {
            b.putShort(40 + 2 * i, dim[i]);
        }
        b.putShort(70, (short) datatype);
        b.putShort(72, (short) bitpix);
        for (int i = 0; i < 8; i++) {
            b.putFloat(76 + 4 * i, pixdim[i]);
        }
        b.putFloat(108, voxOffset);
        b.putFloat(112, sclSlope);
        b.putFloat(116, sclInter);
        b.put(123, (byte) xyztUnits);
        b.putShort(252, (short) qformCode);
        b.putShort(254, (short) sformCode);
        for (int i = 0; i < 3; i++) {
            b.putFloat(256 + 4 * i, quatern[i]);
            b.putFloat(268 + 4 * i, qoffset[i]);
            for (int c = 0; c < 4; c++) {
                b.putFloat(280 + 16 * i + 4 * c, srow[i][c]);
            }
        }
        byte[] m = magic.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < Math.min(4, m.length); i++) {
            b.put(344 + i, m[i]);
        }
        return b.array();
    }

    /** A single file: header, zero bytes up to vox_offset, then {@code data}. */
    byte[] singleFile(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header());
        int pad = (int) voxOffset - 348;
        out.writeBytes(new byte[Math.max(pad, 0)]);
        out.writeBytes(data);
        return out.toByteArray();
    }

    /** Voxel bytes of integer values (two's-complement bits, so uint64 above 2^63 is a negative long). */
    static byte[] integers(ByteOrder order, NiftiDatatype t, long... bits) {
        ByteBuffer b = ByteBuffer.allocate(bits.length * t.bytes()).order(order);
        for (long v : bits) {
            switch (t.bytes()) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    /** Voxel bytes of float32 or float64 values. */
    static byte[] floats(ByteOrder order, NiftiDatatype t, double... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * t.bytes()).order(order);
        for (double v : values) {
            if (t == NiftiDatatype.FLOAT32) {
                b.putFloat((float) v);
            } else {
                b.putDouble(v);
            }
        }
        return b.array();
    }

    static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Path write(Path path, byte[] bytes) {
        try {
            return Files.write(path, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
