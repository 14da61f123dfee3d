package dev.medseg.data.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** NiftiReader against hand-built files (independent of NiftiWriter): every datatype, both byte orders. */
class NiftiReaderTest {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;

    @TempDir
    Path dir;

    private final NiftiReader reader = new NiftiReader();

    /** Stored bits and the numeric value they mean, extremes first, padded to 12 voxels (2x3x2). */
    private record Sample(NiftiDatatype type, long[] bits, double[] values) {
    }

    private static Sample integers(NiftiDatatype type, long[] bits, double[] values) {
        long[] b = Arrays.copyOf(bits, 12);
        double[] v = Arrays.copyOf(values, 12);
        for (int i = bits.length; i < 12; i++) {
            b[i] = i + 2;
            v[i] = i + 2;
        }
        return new Sample(type, b, v);
    }

    private static Sample sample(NiftiDatatype type) {
        return switch (type) {
            case UINT8 -> integers(type, new long[] {0, 1, 127, 128, 255}, new double[] {0, 1, 127, 128, 255});
            case INT8 -> integers(type, new long[] {-128, -1, 0, 127}, new double[] {-128, -1, 0, 127});
            case INT16 -> integers(type, new long[] {-32768, -1, 0, 32767}, new double[] {-32768, -1, 0, 32767});
            case UINT16 -> integers(type, new long[] {0, 32767, -32768, -1}, new double[] {0, 32767, 32768, 65535});
            case INT32 -> integers(type, new long[] {Integer.MIN_VALUE, -1, Integer.MAX_VALUE},
                    new double[] {Integer.MIN_VALUE, -1, Integer.MAX_VALUE});
            case UINT32 -> integers(type, new long[] {0, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL},
                    new double[] {0, 2147483647.0, 2147483648.0, 4294967295.0});
            case INT64 -> integers(type, new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE},
                    new double[] {-0x1p63, -1, 0x1p63});
            case UINT64 -> integers(type, new long[] {0, Long.MAX_VALUE, Long.MIN_VALUE, -1L},
                    new double[] {0, 0x1p63, 0x1p63, 0x1p64});
            case FLOAT32, FLOAT64 -> {
                double[] v = {-1.5, 0, 3.25, 1e30, -2.5e-3, 7, 8, 9, 10, 11, 12, 13};
                yield new Sample(type, null, v);
            }
        };
    }

    private static byte[] voxelBytes(Sample s, ByteOrder order) {
        return s.bits == null ? RawNifti.floats(order, s.type, s.values) : RawNifti.integers(order, s.type, s.bits);
    }

    static Stream<Arguments> typesAndOrders() {
        return Arrays.stream(NiftiDatatype.values()).flatMap(t -> Stream.of(Arguments.of(t, LE), Arguments.of(t, BE)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("typesAndOrders")
    void readsEveryDatatypeInEveryContainer(NiftiDatatype type, ByteOrder order) {
        Sample s = sample(type);
        byte[] data = voxelBytes(s, order);
        RawNifti single = new RawNifti().order(order).type(type).dims(2, 3, 2);
        byte[] file = single.singleFile(data);
        RawNifti pair = new RawNifti().order(order).type(type).dims(2, 3, 2);
        pair.magic = "ni1";
        pair.voxOffset = 0;
        String base = type + "_" + (order == LE ? "le" : "be");

        Path[] paths = {
            RawNifti.write(dir.resolve(base + ".nii"), file),
            RawNifti.write(dir.resolve(base + ".nii.gz"), RawNifti.gzip(file)),
            RawNifti.write(dir.resolve(base + "_gz_without_suffix.nii"), RawNifti.gzip(file)),
            pairFiles(base + "_pair", pair.header(), data, false),
            pairFiles(base + "_pairgz", pair.header(), data, true),
        };
        float[] expected = new float[12];
        for (int i = 0; i < 12; i++) {
            expected[i] = (float) s.values[i];
        }
        for (Path p : paths) {
            Volume v = reader.read(p);
            assertArrayEquals(expected, v.data(), 0f, p.toString());
            assertEquals(type.name().toLowerCase(), v.datatype());
            assertEquals(2, v.nx());
            assertEquals(3, v.ny());
            assertEquals(2, v.nz());
        }
    }

    private Path pairFiles(String base, byte[] header, byte[] data, boolean gzImage) {
        Path hdr = RawNifti.write(dir.resolve(base + ".hdr"), header);
        if (gzImage) {
            RawNifti.write(dir.resolve(base + ".img.gz"), RawNifti.gzip(data));
        } else {
            RawNifti.write(dir.resolve(base + ".img"), data);
        }
        return hdr;
    }

    @Test
    void unsignedExtremesAreNeverNegative() {
        Volume u16 = readRaw(NiftiDatatype.UINT16, LE, RawNifti.integers(LE, NiftiDatatype.UINT16, 65535, 32768));
        assertEquals(65535f, u16.data()[0]);
        assertEquals(32768f, u16.data()[1]);
        Volume u32 = readRaw(NiftiDatatype.UINT32, BE, RawNifti.integers(BE, NiftiDatatype.UINT32, 4294967295L));
        assertEquals(4294967295.0, u32.data()[0], 1e3); // float has 24 bits: nearest is 2^32
        Volume u64 = readRaw(NiftiDatatype.UINT64, LE, RawNifti.integers(LE, NiftiDatatype.UINT64, -1L));
        assertEquals(1.8446744e19f, u64.data()[0]);
    }

    @Test
    void unsignedToDoubleRoundsCorrectly() {
        assertEquals(0x1p64, NiftiReader.unsignedToDouble(-1L));
        assertEquals(0x1p63, NiftiReader.unsignedToDouble(Long.MIN_VALUE));
        assertEquals(9223372036854777856.0, NiftiReader.unsignedToDouble(0x8000000000000401L)); // rounds up
        assertEquals(12345.0, NiftiReader.unsignedToDouble(12345L));
    }

    private Volume readRaw(NiftiDatatype type, ByteOrder order, byte[] data) {
        int n = data.length / type.bytes();
        RawNifti raw = new RawNifti().order(order).type(type).dims(n, 1, 1);
        return reader.read(RawNifti.write(dir.resolve("raw_" + type + order + ".nii"), raw.singleFile(data)));
    }

    @Test
    void memoryOrderIsXFastestAndAxialSliceIsRowMajorYX() {
        NiftiDatatype t = NiftiDatatype.INT16;
        long[] values = new long[4 * 3 * 2];
        for (int z = 0; z < 2; z++) {
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 4; x++) {
                    values[x + 4 * (y + 3 * z)] = x + 10 * y + 100 * z;
                }
            }
        }
        RawNifti raw = new RawNifti().type(t).dims(4, 3, 2);
        Volume v = reader.read(RawNifti.write(dir.resolve("order.nii"), raw.singleFile(RawNifti.integers(LE, t, values))));
        assertEquals(123f, v.value(3, 2, 1));
        assertEquals(21f, v.value(1, 2, 0));
        float[] slice = v.axialSlice(1);
        assertEquals(12, slice.length);
        assertEquals(100f + 2 * 10 + 3, slice[3 + 4 * 2]);
        assertEquals(100f, slice[0]);
        assertThrows(IndexOutOfBoundsException.class, () -> v.axialSlice(2));
    }

    @Test
    void fourDimensionalImagesNeedAFrameAndReadTheChosenOne() {
        NiftiDatatype t = NiftiDatatype.INT16;
        long[] values = new long[2 * 2 * 1 * 3];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i / 4) * 1000 + i % 4; // frame f holds f*1000 + voxel
        }
        for (boolean gz : new boolean[] {false, true}) {
            RawNifti raw = new RawNifti().type(t).dims(2, 2, 1, 3);
            byte[] file = raw.singleFile(RawNifti.integers(LE, t, values));
            Path p = RawNifti.write(dir.resolve("frames" + (gz ? ".nii.gz" : ".nii")), gz ? RawNifti.gzip(file) : file);
            assertArrayEquals(new float[] {2000, 2001, 2002, 2003}, reader.read(p, 2).data());
            assertArrayEquals(new float[] {0, 1, 2, 3}, reader.read(p, 0).data());
            assertArrayEquals(new int[] {1000, 1001, 1002, 1003}, reader.readLabels(p, 1).ids());
            assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(p)), p,
                    "4-D image with 3 frames: choose a frame index");
            assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(p, 3)), p,
                    "frame 3 requested but the image has 3 frame(s)");
        }
    }

    @Test
    void twoDimensionalImageIsOneSlice() {
        NiftiDatatype t = NiftiDatatype.UINT8;
        RawNifti raw = new RawNifti().type(t).dims(3, 2);
        raw.pixdim = new float[] {1, 0.5f, 0.25f, 0, 0, 0, 0, 0};
        Volume v = reader.read(RawNifti.write(dir.resolve("flat.nii"),
                raw.singleFile(RawNifti.integers(LE, t, 1, 2, 3, 4, 5, 6))));
        assertEquals(1, v.nz());
        assertArrayEquals(new double[] {0.5, 0.25, 1.0}, v.spacing(), 1e-7);
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, v.axialSlice(0));
    }

    @Test
    void appliesSlopeAndInterceptOnlyWhenSlopeIsFiniteAndNonZero() {
        NiftiDatatype t = NiftiDatatype.INT16;
        byte[] data = RawNifti.integers(LE, t, 0, 1, 2, 3, -4, 100);
        float[][] cases = {
            // slope, inter, expected values
            {2f, -1f}, {0f, 5f}, {Float.NaN, 5f}, {Float.POSITIVE_INFINITY, 5f}, {0.5f, 0f}};
        float[][] expected = {
            {-1, 1, 3, 5, -9, 199}, {0, 1, 2, 3, -4, 100}, {0, 1, 2, 3, -4, 100}, {0, 1, 2, 3, -4, 100},
            {0, 0.5f, 1, 1.5f, -2, 50}};
        for (int c = 0; c < cases.length; c++) {
            RawNifti raw = new RawNifti().type(t).dims(6, 1, 1);
            raw.sclSlope = cases[c][0];
            raw.sclInter = cases[c][1];
            Volume v = reader.read(RawNifti.write(dir.resolve("scl" + c + ".nii"), raw.singleFile(data)));
            assertArrayEquals(expected[c], v.data(), 1e-6f, "case " + c);
        }
        RawNifti bad = new RawNifti().type(t).dims(6, 1, 1);
        bad.sclSlope = 2;
        bad.sclInter = Float.NaN;
        Path p = RawNifti.write(dir.resolve("badinter.nii"), bad.singleFile(data));
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(p)), p,
                "scl_slope is 2.0 but scl_inter is NaN");
    }

    @Test
    void labelsAreExactIdsAndNonIntegersAreRefused() {
        // uint16 ids up to 65535, no scaling: exact
        NiftiDatatype u16 = NiftiDatatype.UINT16;
        RawNifti raw = new RawNifti().type(u16).dims(4, 1, 1);
        Path ids = RawNifti.write(dir.resolve("ids.nii"),
                raw.singleFile(RawNifti.integers(LE, u16, 0, 13, 65535, 32768)));
        LabelVolume labels = reader.readLabels(ids);
        assertArrayEquals(new int[] {0, 13, 65535, 32768}, labels.ids());
        assertEquals(65535, labels.maxId());
        assertEquals("uint16", labels.datatype());

        // int32 ids beyond float precision stay exact (no float round trip)
        NiftiDatatype i32 = NiftiDatatype.INT32;
        Path big = RawNifti.write(dir.resolve("big.nii"), new RawNifti().type(i32).dims(2, 1, 1)
                .singleFile(RawNifti.integers(LE, i32, 16777217, Integer.MAX_VALUE)));
        assertArrayEquals(new int[] {16777217, Integer.MAX_VALUE}, reader.readLabels(big).ids());

        // float labels that are whole numbers are fine; scaled ints that land on integers too
        NiftiDatatype f32 = NiftiDatatype.FLOAT32;
        Path floats = RawNifti.write(dir.resolve("floatlabels.nii"), new RawNifti().type(f32).dims(3, 1, 1)
                .singleFile(RawNifti.floats(LE, f32, 0, 2, 8)));
        assertArrayEquals(new int[] {0, 2, 8}, reader.readLabels(floats).ids());
        RawNifti scaled = new RawNifti().type(NiftiDatatype.UINT8).dims(3, 1, 1);
        scaled.sclSlope = 0.1f;
        Path tenths = RawNifti.write(dir.resolve("tenths.nii"),
                scaled.singleFile(RawNifti.integers(LE, NiftiDatatype.UINT8, 0, 10, 30)));
        assertArrayEquals(new int[] {0, 1, 3}, reader.readLabels(tenths).ids());

        Path half = RawNifti.write(dir.resolve("half.nii"), new RawNifti().type(f32).dims(2, 2, 1)
                .singleFile(RawNifti.floats(LE, f32, 0, 1, 2, 1.5)));
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.readLabels(half)), half,
                "not a label map: voxel (1, 1, 0) holds 1.5");
        Path negative = RawNifti.write(dir.resolve("negative.nii"), new RawNifti().type(NiftiDatatype.INT8)
                .dims(2, 1, 1).singleFile(RawNifti.integers(LE, NiftiDatatype.INT8, 0, -1)));
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.readLabels(negative)), negative,
                "voxel (1, 0, 0) holds -1");
        Path u32 = RawNifti.write(dir.resolve("u32max.nii"), new RawNifti().type(NiftiDatatype.UINT32)
                .dims(1, 1, 1).singleFile(RawNifti.integers(LE, NiftiDatatype.UINT32, 0xFFFFFFFFL)));
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.readLabels(u32)), u32,
                "holds 4294967295");
        Path u64 = RawNifti.write(dir.resolve("u64max.nii"), new RawNifti().type(NiftiDatatype.UINT64)
                .dims(1, 1, 1).singleFile(RawNifti.integers(LE, NiftiDatatype.UINT64, -1L)));
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.readLabels(u64)), u64,
                "holds 18446744073709551615");
        Path nan = RawNifti.write(dir.resolve("nanlabel.nii"), new RawNifti().type(f32).dims(1, 1, 1)
                .singleFile(RawNifti.floats(LE, f32, Double.NaN)));
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.readLabels(nan)), nan, "holds NaN");
    }

    @Test
    void nonFiniteValuesAreKeptAndCounted() {
        NiftiDatatype f32 = NiftiDatatype.FLOAT32;
        Path p = RawNifti.write(dir.resolve("nan.nii"), new RawNifti().type(f32).dims(4, 1, 1)
                .singleFile(RawNifti.floats(LE, f32, 1, Double.NaN, Double.POSITIVE_INFINITY, -2)));
        Volume v = reader.read(p);
        assertEquals(2, v.countNonFinite());
        assertTrue(Float.isNaN(v.data()[1]));
        assertEquals(Float.POSITIVE_INFINITY, v.data()[2]);
        assertEquals(0, readRaw(f32, LE, RawNifti.floats(LE, f32, 1, 2)).countNonFinite());
    }

    @Test
    void respectsVoxOffsetBeyond352() {
        NiftiDatatype t = NiftiDatatype.UINT8;
        RawNifti raw = new RawNifti().type(t).dims(2, 1, 1);
        raw.voxOffset = 416; // room for an extension
        byte[] file = raw.singleFile(RawNifti.integers(LE, t, 7, 9));
        file[348] = 1; // extension flag set; the extension bytes are skipped
        file[400] = 99;
        assertArrayEquals(new float[] {7, 9}, reader.read(RawNifti.write(dir.resolve("ext.nii"), file)).data());
    }

    @Test
    void spatialUnitsAreConvertedToMillimetres() {
        NiftiDatatype t = NiftiDatatype.UINT8;
        RawNifti metres = new RawNifti().type(t).dims(1, 1, 1);
        metres.xyztUnits = 1 | 8; // meter, seconds
        metres.pixdim = new float[] {1, 0.001f, 0.002f, 0.005f, 1, 0, 0, 0};
        metres.sformCode = 1;
        metres.srow = new float[][] {{0.001f, 0, 0, 0.1f}, {0, 0.002f, 0, 0}, {0, 0, 0.005f, 0}};
        Volume m = reader.read(RawNifti.write(dir.resolve("metres.nii"), metres.singleFile(new byte[] {1})));
        assertArrayEquals(new double[] {1, 2, 5}, m.spacing(), 1e-5);
        assertEquals(1.0, m.affine()[0][0], 1e-5);
        assertEquals(100.0, m.affine()[0][3], 1e-4);

        RawNifti microns = new RawNifti().type(t).dims(1, 1, 1);
        microns.xyztUnits = 3;
        microns.pixdim = new float[] {1, 500, 250, 1000, 0, 0, 0, 0};
        Volume u = reader.read(RawNifti.write(dir.resolve("microns.nii"), microns.singleFile(new byte[] {1})));
        assertArrayEquals(new double[] {0.5, 0.25, 1}, u.spacing(), 1e-9);
        assertEquals(0.25, u.affine()[1][1], 1e-9);
    }

    @Test
    void affineComesFromSformThenQformThenPixdim() {
        NiftiDatatype t = NiftiDatatype.UINT8;
        byte[] one = {1};
        RawNifti both = new RawNifti().type(t).dims(1, 1, 1);
        both.pixdim = new float[] {1, 2, 3, 4, 0, 0, 0, 0};
        both.sformCode = 2;
        both.qformCode = 1;
        both.srow = new float[][] {{-2, 0, 0, 10}, {0, 3, 0, 20}, {0, 0, 4, 30}};
        both.quatern = new float[] {1, 0, 0}; // 180 degrees about x; must be ignored when sform is set
        double[][] s = reader.read(RawNifti.write(dir.resolve("sform.nii"), both.singleFile(one))).affine();
        assertArrayEquals(new double[] {-2, 0, 0, 10}, s[0], 1e-6);
        assertArrayEquals(new double[] {0, 0, 4, 30}, s[2], 1e-6);

        both.sformCode = 0; // qform: b = 1 -> rotation diag(1, -1, -1); qfac -1 flips z again
        both.pixdim[0] = -1;
        both.qoffset = new float[] {5, 6, 7};
        double[][] q = reader.read(RawNifti.write(dir.resolve("qform.nii"), both.singleFile(one))).affine();
        assertArrayEquals(new double[] {2, 0, 0, 5}, q[0], 1e-6);
        assertArrayEquals(new double[] {0, -3, 0, 6}, q[1], 1e-6);
        assertArrayEquals(new double[] {0, 0, 4, 7}, q[2], 1e-6);

        both.qformCode = 0; // NIfTI "method 1": pixdim scaling only
        double[][] p = reader.read(RawNifti.write(dir.resolve("pixdim.nii"), both.singleFile(one))).affine();
        assertArrayEquals(new double[] {2, 0, 0, 0}, p[0], 1e-6);
        assertArrayEquals(new double[] {0, 3, 0, 0}, p[1], 1e-6);
        assertArrayEquals(new double[] {0, 0, 4, 0}, p[2], 1e-6);
        assertArrayEquals(new double[] {0, 0, 0, 1}, p[3], 0);
    }

    @Test
    void readHeaderAndImageFileOfAPairFindTheHeader() {
        NiftiDatatype t = NiftiDatatype.INT16;
        RawNifti pair = new RawNifti().type(t).dims(2, 1, 1).order(BE);
        pair.magic = "ni1";
        pair.voxOffset = 0;
        Path hdr = pairFiles("bypair", pair.header(), RawNifti.integers(BE, t, -5, 300), false);
        Path img = dir.resolve("bypair.img");
        assertArrayEquals(new float[] {-5, 300}, reader.read(img).data());
        NiftiHeader h = reader.readHeader(hdr);
        assertEquals(BE, h.byteOrder());
        assertEquals(false, h.singleFile());
        assertEquals(NiftiDatatype.INT16, h.datatype());
    }

    // ---- bad input: every message names the file and the problem ----

    @Test
    void truncatedUncompressedData() {
        NiftiDatatype t = NiftiDatatype.INT16;
        byte[] file = new RawNifti().type(t).dims(2, 3, 2).singleFile(new byte[10]); // needs 24 bytes
        Path p = RawNifti.write(dir.resolve("short.nii"), file);
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(p)), p,
                "declared data of 24 bytes (2x3x2 int16) from vox_offset 352 needs 376 bytes but the file has 362");
    }

    @Test
    void truncatedGzipData() {
        NiftiDatatype t = NiftiDatatype.INT16;
        byte[] file = new RawNifti().type(t).dims(2, 3, 2).singleFile(new byte[10]);
        Path p = RawNifti.write(dir.resolve("short.nii.gz"), RawNifti.gzip(file));
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(p)), p,
                "voxel data truncated: expected 24 bytes for the frame at byte offset 352, found 10");

        // the gzip stream itself cut in half
        byte[] full = RawNifti.gzip(new RawNifti().type(t).dims(20, 20, 20).singleFile(randomBytes(16000)));
        Path cut = RawNifti.write(dir.resolve("cut.nii.gz"), Arrays.copyOf(full, full.length / 2));
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> reader.read(cut));
        assertMessage(e, cut, "voxel data truncated: expected 16000 bytes");
        assertMessage(e, cut, "gzip stream ended early");
    }

    @Test
    void corruptGzip() {
        // small random voxels give Huffman-coded literals: scrambling the end of the stream (far from the
        // header) breaks the deflate data itself
        java.util.Random random = new java.util.Random(5);
        long[] ramp = new long[8000];
        for (int i = 0; i < ramp.length; i++) {
            ramp[i] = random.nextInt(4);
        }
        byte[] file = new RawNifti().type(NiftiDatatype.INT16).dims(20, 20, 20)
                .singleFile(RawNifti.integers(LE, NiftiDatatype.INT16, ramp));
        byte[] gz = RawNifti.gzip(file);
        for (int i = gz.length * 3 / 4; i < gz.length - 8; i += 3) {
            gz[i] ^= (byte) 0x5A;
        }
        Path p = RawNifti.write(dir.resolve("corrupt.nii.gz"), gz);
        // depending on where inflate fails: "corrupt gzip data: ..." or "... (gzip stream ended early)"
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(p)), p, "gzip");

        // random voxels are stored verbatim: a flipped data byte is only caught by the CRC at the end
        byte[] stored = RawNifti.gzip(new RawNifti().type(NiftiDatatype.INT16).dims(20, 20, 20)
                .singleFile(randomBytes(16000)));
        stored[stored.length - 100] ^= 1;
        Path s = RawNifti.write(dir.resolve("flipped.nii.gz"), stored);
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(s)), s, "corrupt gzip data");

        // only the CRC of the trailer wrong: detected by reading to the end of the stream
        byte[] crc = RawNifti.gzip(new RawNifti().type(NiftiDatatype.UINT8).dims(2, 1, 1).singleFile(new byte[] {1, 2}));
        crc[crc.length - 8] ^= 1;
        Path q = RawNifti.write(dir.resolve("badcrc.nii.gz"), crc);
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(q)), q, "corrupt gzip data");

        Path notGzip = RawNifti.write(dir.resolve("fake.nii.gz"), new byte[] {0x1f, (byte) 0x8b, 9, 9, 9});
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(notGzip)), notGzip, "gzip");
    }

    @Test
    void wrongMagicAndHeaderFields() {
        byte[] data = new byte[24];
        RawNifti magic = new RawNifti();
        magic.magic = "abc";
        expectHeaderError("magic.nii", magic.singleFile(data), "bad magic \"abc\" at byte 344");

        RawNifti size = new RawNifti();
        size.sizeofHdr = 1234;
        expectHeaderError("sizeof.nii", size.singleFile(data), "sizeof_hdr is 1234 read little-endian");

        RawNifti nifti2 = new RawNifti();
        nifti2.sizeofHdr = 540;
        expectHeaderError("nifti2.nii", nifti2.singleFile(data), "NIfTI-2 header");

        RawNifti negative = new RawNifti();
        negative.dim[2] = -3;
        expectHeaderError("negdim.nii", negative.singleFile(data), "dim[2] is -3, must be positive");

        RawNifti five = new RawNifti();
        five.dim[0] = 5;
        expectHeaderError("dim5.nii", five.singleFile(data), "dim[0] is 5");

        RawNifti rgb = new RawNifti();
        rgb.datatype = 128;
        rgb.bitpix = 24;
        expectHeaderError("rgb.nii", rgb.singleFile(data), "unsupported datatype rgb24 (128)");

        RawNifti complex = new RawNifti();
        complex.datatype = 32;
        complex.bitpix = 64;
        expectHeaderError("complex.nii", complex.singleFile(data), "unsupported datatype complex64 (32)");

        RawNifti bitpix = new RawNifti();
        bitpix.bitpix = 8;
        expectHeaderError("bitpix.nii", bitpix.singleFile(data), "bitpix 8 does not match datatype int16 (expects 16)");

        RawNifti lowOffset = new RawNifti();
        lowOffset.voxOffset = 348;
        expectHeaderError("lowoffset.nii", lowOffset.singleFile(data), "vox_offset 348 is less than 352");

        RawNifti fractional = new RawNifti();
        fractional.voxOffset = 352.5f;
        expectHeaderError("fraction.nii", fractional.singleFile(data), "vox_offset 352.5 is not a non-negative whole");

        RawNifti zeroSpacing = new RawNifti();
        zeroSpacing.pixdim[2] = 0;
        expectHeaderError("zerospacing.nii", zeroSpacing.singleFile(data), "pixdim[2] is 0 for an axis of 3 voxels");

        RawNifti singular = new RawNifti();
        singular.sformCode = 1;
        singular.srow = new float[][] {{1, 0, 0, 0}, {1, 0, 0, 0}, {0, 0, 1, 0}};
        expectHeaderError("singular.nii", singular.singleFile(data), "sform affine is singular");

        Path tiny = RawNifti.write(dir.resolve("tiny.nii"), new byte[100]);
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(tiny)), tiny,
                "file is too short for a NIfTI-1 header: 100 of 348 bytes");
        Path missing = dir.resolve("missing.nii");
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(missing)), missing, "file not found");
    }

    @Test
    void voxOffsetPastTheEnd() {
        RawNifti raw = new RawNifti().type(NiftiDatatype.UINT8).dims(1, 1, 1);
        raw.voxOffset = 352;
        byte[] file = raw.singleFile(new byte[] {1});
        RawNifti far = new RawNifti().type(NiftiDatatype.UINT8).dims(1, 1, 1);
        far.voxOffset = 100000;
        System.arraycopy(far.header(), 0, file, 0, 348);
        Path p = RawNifti.write(dir.resolve("faroffset.nii"), file);
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(p)), p,
                "vox_offset 100000 is past the end of the file (353 bytes)");
        Path gz = RawNifti.write(dir.resolve("faroffset.nii.gz"), RawNifti.gzip(file));
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(gz)), gz,
                "vox_offset 100000 is past the end of the data (353 bytes)");
    }

    @Test
    void missingImageFileOfAPair() {
        RawNifti pair = new RawNifti();
        pair.magic = "ni1";
        pair.voxOffset = 0;
        Path hdr = RawNifti.write(dir.resolve("lonely.hdr"), pair.header());
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(hdr)), hdr,
                "lonely.img (or .img.gz) does not exist");
    }

    @Test
    void declaredTerabyteIsRefusedBeforeAllocating() {
        RawNifti huge = new RawNifti().type(NiftiDatatype.FLOAT64).dims(32767, 32767, 32767, 32767);
        byte[] file = huge.singleFile(new byte[64]);
        Path p = RawNifti.write(dir.resolve("terabyte.nii"), file);
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(p, 0)), p,
                "voxels is larger than one Java array can hold");

        RawNifti big = new RawNifti().type(NiftiDatatype.FLOAT64).dims(1024, 1024, 1024, 1000); // 8 TB declared
        Path raw = RawNifti.write(dir.resolve("eighttb.nii"), big.singleFile(new byte[64]));
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(raw, 0)), raw,
                "declared data of 8589934592000 bytes (1024x1024x1024x1000 float64)");
        // compressed: the size is unknown up front, so the frame is checked against the voxel limit (2^30)
        RawNifti over = new RawNifti().type(NiftiDatatype.FLOAT64).dims(1100, 1000, 1000, 1000);
        Path gz = RawNifti.write(dir.resolve("eighttb.nii.gz"), RawNifti.gzip(over.singleFile(new byte[64])));
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(gz, 0)), gz,
                "declared frame of 1100000000 voxels exceeds the limit of 1073741824 voxels");
        // the default limit is 2^30 voxels; a smaller reader limit is honoured the same way
        NiftiReader small = new NiftiReader(1_000);
        Path ok = RawNifti.write(dir.resolve("tenbyten.nii.gz"), RawNifti.gzip(new RawNifti()
                .type(NiftiDatatype.UINT8).dims(10, 10, 11).singleFile(new byte[1100])));
        assertMessage(assertThrows(ImageFormatException.class, () -> small.read(ok)), ok,
                "declared frame of 1100 voxels exceeds the limit of 1000 voxels");
    }

    @Test
    void compressedFrameIsAllocatedAtMostAsLargeAsItsFileCanInflate() {
        // a CT volume (40 MB of gzip for 512x512x150 int16) is allocated whole, once
        assertEquals(512 * 512 * 150, NiftiReader.initialCompressedCapacity(512L * 512 * 150, 40_668_723, 2));
        // a 1 KB file declaring 10^9 voxels could deliver ~1 MB: start at the 2^20-voxel floor and grow
        assertEquals(1 << 20, NiftiReader.initialCompressedCapacity(1_000_000_000L, 1_000, 1));
        // 100 KB of gzip inflates to at most 103.2 MB: 51.6M int16 voxels of a 300M-voxel declaration
        assertEquals(100_000 / 2 * 1032, NiftiReader.initialCompressedCapacity(300_000_000L, 100_000, 2));
        // a small frame never gets more than it declares
        assertEquals(1100, NiftiReader.initialCompressedCapacity(1100, 5_000_000, 1));
    }

    @Test
    void compressedVolumeReadWithOneAllocationMatchesTheUncompressedRead() {
        short[] values = new short[64 * 48 * 40];
        java.util.Random r = new java.util.Random(5);
        byte[] data = new byte[values.length * 2];
        for (int i = 0; i < values.length; i++) {
            values[i] = (short) (r.nextInt(4000) - 1000);
            data[2 * i] = (byte) values[i];
            data[2 * i + 1] = (byte) (values[i] >> 8);
        }
        byte[] file = new RawNifti().type(NiftiDatatype.INT16).dims(64, 48, 40).singleFile(data);
        Volume plain = reader.read(RawNifti.write(dir.resolve("vol.nii"), file));
        Volume gz = reader.read(RawNifti.write(dir.resolve("vol.nii.gz"), RawNifti.gzip(file)));
        assertEquals(values.length, gz.data().length);
        assertArrayEquals(plain.data(), gz.data());
        for (int i = 0; i < values.length; i += 997) {
            assertEquals(values[i], gz.data()[i]);
        }
    }

    private void expectHeaderError(String name, byte[] file, String expected) {
        Path p = RawNifti.write(dir.resolve(name), file);
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(p)), p, expected);
        Path gz = RawNifti.write(dir.resolve(name + ".gz"), RawNifti.gzip(file));
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.readLabels(gz)), gz, expected);
    }

    static void assertMessage(ImageFormatException e, Path file, String expectedPart) {
        String m = e.getMessage();
        assertTrue(m.startsWith(file.toString() + ": "), "message does not start with the file: " + m);
        assertTrue(m.contains(expectedPart), "expected \"" + expectedPart + "\" in: " + m);
        assertEquals(file.toString(), e.file());
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new java.util.Random(42).nextBytes(b);
        return b;
    }
}
