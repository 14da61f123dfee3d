package dev.medseg.data.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** NiftiWriter round trips through NiftiReader; its qform is checked on its own by removing the sform. */
class NiftiWriterTest {

    @TempDir
    Path dir;

    private final NiftiReader reader = new NiftiReader();

    /** 30 degrees about z, then a reflection of x (LPS-like) and anisotropic spacing. */
    private static final double[][] OBLIQUE = {
        {-0.8 * Math.cos(Math.PI / 6), -0.9 * Math.sin(Math.PI / 6), 0, 12.5},
        {-0.8 * Math.sin(Math.PI / 6), 0.9 * Math.cos(Math.PI / 6), 0, -40},
        {0, 0, 2.5, 7},
        {0, 0, 0, 1}};
    private static final double[] SPACING = {0.8, 0.9, 2.5};

    @ParameterizedTest
    @EnumSource(NiftiDatatype.class)
    void roundTripsEveryDatatypeInEveryContainer(NiftiDatatype type) {
        VolumeGeometry g = new VolumeGeometry(3, 2, 2, SPACING, OBLIQUE);
        float[] values = new float[12];
        int[] ids = new int[12];
        for (int i = 0; i < 12; i++) {
            values[i] = type.isInteger() ? (type.isSigned() ? i - 6 : i) : i * 0.25f - 1;
            ids[i] = i * 3;
        }
        values[11] = largestFloatBelowTop(type); // the top of the type, as far as a float can reach it
        ids[11] = (int) Math.min(type.maxValue(), Integer.MAX_VALUE - 127); // a float-exact large int
        if (type == NiftiDatatype.UINT32 || type == NiftiDatatype.INT32 || type == NiftiDatatype.INT64
                || type == NiftiDatatype.UINT64) {
            ids[11] = Integer.MAX_VALUE; // exact through the integer path
        }
        if (type == NiftiDatatype.FLOAT32) {
            ids[11] = 1 << 24; // float32 holds integers exactly only up to 2^24
        }
        Volume volume = new Volume(values, g, "float32", "mem");
        LabelVolume labels = new LabelVolume(ids, g, "int32", "mem");
        for (String suffix : new String[] {".nii", ".nii.gz", ".hdr"}) {
            Path p = dir.resolve("v_" + type + suffix);
            NiftiWriter.write(p, volume, type);
            Volume back = reader.read(p);
            assertArrayEquals(values, back.data(), 0f, p.toString());
            assertEquals(type.name().toLowerCase(), back.datatype());
            assertArrayEquals(SPACING, back.spacing(), 1e-6);
            assertAffine(OBLIQUE, back.affine(), 1e-5);
            NiftiHeader h = reader.readHeader(p);
            assertEquals(ByteOrder.LITTLE_ENDIAN, h.byteOrder());
            assertEquals(!suffix.equals(".hdr"), h.singleFile());

            Path q = dir.resolve("l_" + type + suffix);
            NiftiWriter.write(q, labels, type);
            assertArrayEquals(ids, reader.readLabels(q).ids(), q.toString());
        }
    }

    @Test
    void gzipOutputIsReallyCompressed() throws IOException {
        Path p = dir.resolve("zeros.nii.gz");
        VolumeGeometry g = new VolumeGeometry(32, 32, 32, new double[] {1, 1, 1}, eye());
        NiftiWriter.write(p, new Volume(new float[32 * 32 * 32], g, "float32", "mem"), NiftiDatatype.FLOAT32);
        byte[] bytes = Files.readAllBytes(p);
        assertEquals(0x1f, bytes[0] & 0xFF);
        assertEquals(0x8b, bytes[1] & 0xFF);
        assertTrue(bytes.length < 2000, "compressed size " + bytes.length);
    }

    @Test
    void qformAloneReproducesTheAffine() throws IOException {
        double[][] rotated = rotatedWithReflection();
        for (double[][] affine : new double[][][] {OBLIQUE, rotated, eye()}) {
            double[] spacing = columnNorms(affine);
            Path p = dir.resolve("q.nii");
            NiftiWriter.write(p, new Volume(new float[8], new VolumeGeometry(2, 2, 2, spacing, affine), "x", "mem"),
                    NiftiDatatype.UINT8);
            byte[] bytes = Files.readAllBytes(p);
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(254, (short) 0); // sform_code = 0
            Files.write(p, bytes);
            NiftiHeader h = reader.readHeader(p);
            assertEquals(0, h.sformCode());
            assertEquals(1, h.qformCode());
            assertAffine(affine, h.geometry().affine(), 2e-6 * 50);
        }
    }

    @Test
    void refusesValuesThatDoNotFitTheDatatype() {
        VolumeGeometry g = new VolumeGeometry(2, 1, 1, new double[] {1, 1, 1}, eye());
        Path p = dir.resolve("bad.nii");
        IllegalArgumentException half = assertThrows(IllegalArgumentException.class,
                () -> NiftiWriter.write(p, new Volume(new float[] {1, 1.5f}, g, "x", "mem"), NiftiDatatype.INT16));
        assertTrue(half.getMessage().contains("voxel 1 value 1.5 does not fit int16"), half.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> NiftiWriter.write(p, new LabelVolume(new int[] {70000, 0}, g, "x", "mem"), NiftiDatatype.UINT16));
        assertTrue(range.getMessage().contains("voxel 0 value 70000.0 does not fit uint16"), range.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> NiftiWriter.write(p, new Volume(new float[] {-1, 0}, g, "x", "mem"), NiftiDatatype.UINT8));
        assertThrows(IllegalArgumentException.class,
                () -> NiftiWriter.write(p, new Volume(new float[] {Float.NaN, 0}, g, "x", "mem"), NiftiDatatype.INT8));
        assertThrows(IllegalArgumentException.class, () -> NiftiWriter.write(dir.resolve("bad.png"),
                new Volume(new float[2], g, "x", "mem"), NiftiDatatype.UINT8));
    }

    @Test
    void uint64TopValuesAreWrittenUnsigned() throws IOException {
        VolumeGeometry g = new VolumeGeometry(2, 1, 1, new double[] {1, 1, 1}, eye());
        Path p = dir.resolve("u64.nii");
        NiftiWriter.write(p, new Volume(new float[] {0x1p63f, 0x1p40f}, g, "x", "mem"), NiftiDatatype.UINT64);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(Long.MIN_VALUE, b.getLong(352)); // bit pattern of 2^63
        assertEquals(1L << 40, b.getLong(360));
        assertArrayEquals(new float[] {0x1p63f, 0x1p40f}, reader.read(p).data());
    }

    private static float largestFloatBelowTop(NiftiDatatype type) {
        if (!type.isInteger()) {
            return 1e30f;
        }
        double exclusive = Math.scalb(1.0, type.isSigned() ? type.bitpix() - 1 : type.bitpix());
        return (float) Math.floor(Math.nextDown((float) exclusive)); // largest whole float below 2^bits
    }

    @Test
    void int64TopIsRefusedNotWrapped() {
        // (float) Long.MAX_VALUE is 2^63, one past the int64 range: it must not wrap to Long.MIN_VALUE
        VolumeGeometry g = new VolumeGeometry(1, 1, 1, new double[] {1, 1, 1}, eye());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NiftiWriter.write(
                dir.resolve("top.nii"), new Volume(new float[] {Long.MAX_VALUE}, g, "x", "mem"), NiftiDatatype.INT64));
        assertTrue(e.getMessage().contains("does not fit int64"), e.getMessage());
    }

    private static double[][] rotatedWithReflection() {
        double c = Math.cos(0.4);
        double s = Math.sin(0.4);
        // rotation about y, then the third voxel axis reflected (determinant < 0, qfac = -1)
        return new double[][] {{1.2 * c, 0, -3 * s, 1}, {0, 0.7, 0, 2}, {-1.2 * s, 0, -3 * c, 3}, {0, 0, 0, 1}};
    }

    private static double[] columnNorms(double[][] a) {
        double[] n = new double[3];
        for (int c = 0; c < 3; c++) {
            n[c] = Math.sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]);
        }
        return n;
    }

    private static double[][] eye() {
        return new double[][] {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    }

    private static void assertAffine(double[][] expected, double[][] actual, double tolerance) {
        for (int r = 0; r < 4; r++) {
            assertArrayEquals(expected[r], actual[r], tolerance, "row " + r);
        }
    }
}
