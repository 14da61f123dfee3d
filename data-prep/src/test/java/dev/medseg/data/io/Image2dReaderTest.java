package dev.medseg.data.io;

import static dev.medseg.data.io.NiftiReaderTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image2dReader on images written here with ImageIO: every layout, bit depth, and broken files. */
class Image2dReaderTest {

    @TempDir
    Path dir;

    private final Image2dReader reader = new Image2dReader();

    @Test
    void gray8BitPng() throws IOException {
        int[] values = {0, 1, 127, 128, 200, 255};
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setPixels(0, 0, 3, 2, values);
        Image2d read = reader.read(save(img, "png", "gray8.png"));
        assertEquals(1, read.channels());
        assertEquals(3, read.width());
        assertEquals(2, read.height());
        assertArrayEquals(scaled(values, 255), read.data());
        assertEquals(200 / 255f, read.value(0, 1, 1));
    }

    @Test
    void gray16BitPngAndTiffUseTheFullRange() throws IOException {
        int[] values = {0, 1, 32767, 32768, 65535, 1000};
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_USHORT_GRAY);
        img.getRaster().setPixels(0, 0, 3, 2, values);
        for (String format : new String[] {"png", "tiff"}) {
            Image2d read = reader.read(save(img, format, "gray16." + format));
            assertEquals(1, read.channels());
            assertArrayEquals(scaled(values, 65535), read.data(), format);
        }
    }

    @Test
    void rgbPngTiffBmpArePlanar() throws IOException {
        BufferedImage img = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        int[][] rgb = {{255, 0, 10}, {0, 128, 20}, {1, 2, 3}, {250, 251, 252}}; // pixels in row-major order
        for (int i = 0; i < 4; i++) {
            img.setRGB(i % 2, i / 2, (rgb[i][0] << 16) | (rgb[i][1] << 8) | rgb[i][2]);
        }
        float[] expected = new float[12];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 4; i++) {
                expected[c * 4 + i] = rgb[i][c] / 255f;
            }
        }
        for (String format : new String[] {"png", "tiff", "bmp"}) {
            Image2d read = reader.read(save(img, format, "rgb." + format));
            assertEquals(3, read.channels(), format);
            assertArrayEquals(expected, read.data(), format);
        }
    }

    @Test
    void rgbaDropsAlpha() throws IOException {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x00FF8040); // fully transparent orange: colour kept as stored
        img.setRGB(1, 0, 0xFF102030);
        Image2d read = reader.read(save(img, "png", "rgba.png"));
        assertEquals(3, read.channels());
        assertArrayEquals(new float[] {255 / 255f, 0x10 / 255f, 0x80 / 255f, 0x20 / 255f, 0x40 / 255f, 0x30 / 255f},
                read.data());
    }

    @Test
    void rgb16BitPng() throws IOException {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(2, 1);
        raster.setPixels(0, 0, 2, 1, new int[] {65535, 0, 32768, 1, 2, 3});
        BufferedImage img = new BufferedImage(cm, raster, false, null);
        Image2d read = reader.read(save(img, "png", "rgb16.png"));
        assertEquals(3, read.channels());
        assertArrayEquals(new float[] {1f, 1 / 65535f, 0f, 2 / 65535f, 32768 / 65535f, 3 / 65535f}, read.data());
    }

    @Test
    void grayWithAlphaGivesOneChannel() throws IOException {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster raster = cm.createCompatibleWritableRaster(2, 1);
        raster.setPixels(0, 0, 2, 1, new int[] {200, 0, 50, 255});
        Image2d read = reader.read(save(new BufferedImage(cm, raster, false, null), "png", "graya.png"));
        assertEquals(1, read.channels());
        assertArrayEquals(new float[] {200 / 255f, 50 / 255f}, read.data());
    }

    @Test
    void paletteIsExpandedToRgbOrGray() throws IOException {
        byte[] r = {0, (byte) 255, 0, 10};
        byte[] g = {0, 0, (byte) 255, 20};
        byte[] b = {0, 0, 0, 30};
        BufferedImage colour = indexed(new IndexColorModel(2, 4, r, g, b), new int[] {0, 1, 2, 3});
        Image2d read = reader.read(save(colour, "png", "palette.png"));
        assertEquals(3, read.channels());
        assertArrayEquals(new float[] {0, 1, 0, 10 / 255f, 0, 0, 1, 20 / 255f, 0, 0, 0, 30 / 255f}, read.data());

        byte[] grays = {0, 85, (byte) 170, (byte) 255};
        BufferedImage gray = indexed(new IndexColorModel(2, 4, grays, grays, grays), new int[] {3, 2, 1, 0});
        Image2d readGray = reader.read(save(gray, "png", "graypalette.png"));
        assertEquals(1, readGray.channels());
        assertArrayEquals(new float[] {1, 170 / 255f, 85 / 255f, 0}, readGray.data());
        // 8-bit BMP palette (a full 256-entry palette: the JDK's BMP writer mis-packs small 4-bit palettes)
        byte[] r256 = Arrays.copyOf(r, 256);
        byte[] g256 = Arrays.copyOf(g, 256);
        byte[] b256 = Arrays.copyOf(b, 256);
        r256[200] = 7;
        BufferedImage wide = indexed(new IndexColorModel(8, 256, r256, g256, b256), new int[] {0, 1, 2, 3, 200});
        Image2d bmp = reader.read(save(wide, "bmp", "palette.bmp"));
        assertEquals(3, bmp.channels());
        assertArrayEquals(new float[] {0, 1, 0, 10 / 255f, 7 / 255f, 0, 0, 1, 20 / 255f, 0, 0, 0, 0, 30 / 255f, 0},
                bmp.data());
    }

    @Test
    void jpegIsCloseToTheEncodedColour() throws IOException {
        BufferedImage rgb = new BufferedImage(16, 16, BufferedImage.TYPE_3BYTE_BGR);
        BufferedImage gray = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                rgb.setRGB(x, y, (200 << 16) | (100 << 8) | 50);
                gray.getRaster().setSample(x, y, 0, 90);
            }
        }
        Image2d c = reader.read(save(rgb, "jpg", "rgb.jpg"));
        assertEquals(3, c.channels());
        assertEquals(200 / 255f, c.value(0, 7, 7), 4 / 255f);
        assertEquals(100 / 255f, c.value(1, 7, 7), 4 / 255f);
        assertEquals(50 / 255f, c.value(2, 7, 7), 4 / 255f);
        Image2d gr = reader.read(save(gray, "jpg", "gray.jpg"));
        assertEquals(1, gr.channels());
        assertEquals(90 / 255f, gr.value(0, 3, 3), 2 / 255f);
    }

    // ---- masks ----

    @Test
    void maskThresholdIsAboveHalfOfTheMaxColourChannel() throws IOException {
        BufferedImage gray = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setPixels(0, 0, 4, 1, new int[] {0, 127, 128, 255});
        assertArrayEquals(new byte[] {0, 0, 1, 1}, reader.readMask(save(gray, "png", "m_gray.png")).data());

        BufferedImage rgb = new BufferedImage(3, 1, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(0, 0, 0xC80000); // red 200 only
        rgb.setRGB(1, 0, 0x646464); // gray 100
        rgb.setRGB(2, 0, 0x000080); // blue 128
        assertArrayEquals(new byte[] {1, 0, 1}, reader.readMask(save(rgb, "png", "m_rgb.png")).data());

        BufferedImage rgba = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, 0x00FFFFFF); // white but transparent: alpha is ignored
        rgba.setRGB(1, 0, 0xFF000000); // opaque black
        assertArrayEquals(new byte[] {1, 0}, reader.readMask(save(rgba, "png", "m_rgba.png")).data());

        byte[] lut = {0, (byte) 255};
        BufferedImage palette = indexed(new IndexColorModel(1, 2, lut, lut, lut), new int[] {1, 0, 0, 1});
        Mask2d pm = reader.readMask(save(palette, "png", "m_palette.png"));
        assertArrayEquals(new byte[] {1, 0, 0, 1}, pm.data());
        assertEquals(2, pm.foregroundCount());

        BufferedImage sixteen = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        sixteen.getRaster().setPixels(0, 0, 2, 1, new int[] {32767, 32768});
        assertArrayEquals(new byte[] {0, 1}, reader.readMask(save(sixteen, "png", "m_16.png")).data());
    }

    @Test
    void zeroOneMasksNeedTheNonZeroRule() throws IOException {
        BufferedImage gray = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setPixels(0, 0, 3, 1, new int[] {0, 1, 0});
        Path p = save(gray, "png", "m_01.png");
        assertEquals(0, reader.readMask(p).foregroundCount());
        assertArrayEquals(new byte[] {0, 1, 0}, reader.readMask(p, Image2dReader.MaskRule.NONZERO).data());
    }

    @Test
    void masksOrMerge() {
        Mask2d a = new Mask2d(new byte[] {1, 0, 0, 0}, 2, 2, "a");
        Mask2d b = new Mask2d(new byte[] {0, 0, 1, 0}, 2, 2, "b");
        assertArrayEquals(new byte[] {1, 0, 1, 0}, a.or(b).data());
        assertThrows(IllegalArgumentException.class, () -> a.or(new Mask2d(new byte[2], 2, 1, "c")));
    }

    // ---- broken input ----

    @Test
    void unknownFormatEmptyAndMissingFiles() throws IOException {
        byte[] junk = new byte[200];
        new Random(1).nextBytes(junk);
        Path p = Files.write(dir.resolve("junk.png"), junk);
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(p)), p,
                "unsupported or unrecognised image format");
        Path empty = Files.write(dir.resolve("empty.png"), new byte[0]);
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(empty)), empty,
                "unsupported or unrecognised image format");
        Path missing = dir.resolve("missing.png");
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.readMask(missing)), missing,
                "file not found");
    }

    @Test
    void truncatedPngAndJpeg() throws IOException {
        BufferedImage noise = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(3);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                noise.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        for (String format : new String[] {"png", "jpg"}) {
            Path full = save(noise, format, "noise." + format);
            byte[] bytes = Files.readAllBytes(full);
            Path cut = Files.write(dir.resolve("cut." + format), Arrays.copyOf(bytes, bytes.length / 2));
            assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(cut)), cut,
                    "(corrupt or truncated?)");
        }
    }

    @Test
    void hugeDeclaredSizeIsRefusedFromTheHeader() throws IOException {
        BufferedImage small = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        Path p = save(small, "png", "huge.png");
        byte[] bytes = Files.readAllBytes(p);
        ByteBuffer b = ByteBuffer.wrap(bytes); // PNG: signature, then IHDR length, "IHDR", width, height, ...
        assertEquals("IHDR", new String(bytes, 12, 4, java.nio.charset.StandardCharsets.US_ASCII));
        b.putInt(16, 100000);
        b.putInt(20, 100000);
        CRC32 crc = new CRC32();
        crc.update(bytes, 12, 17);
        b.putInt(29, (int) crc.getValue());
        Files.write(p, bytes);
        assertMessage(assertThrows(ImageFormatException.class, () -> reader.read(p)), p,
                "png header declares 100000x100000 = 10000000000 pixels, over the limit of 50000000");

        Path ok = save(small, "png", "small.png");
        assertMessage(assertThrows(ImageFormatException.class, () -> new Image2dReader(10).read(ok)), ok,
                "declares 4x4 = 16 pixels, over the limit of 10");
    }

    private Path save(BufferedImage img, String format, String name) throws IOException {
        Path p = dir.resolve(name);
        if (!ImageIO.write(img, format, p.toFile())) {
            throw new IllegalStateException("no ImageIO writer for " + format + " and " + img);
        }
        return p;
    }

    private static BufferedImage indexed(IndexColorModel cm, int[] indices) {
        BufferedImage img = new BufferedImage(indices.length, 1, BufferedImage.TYPE_BYTE_INDEXED, cm);
        img.getRaster().setPixels(0, 0, indices.length, 1, indices);
        return img;
    }

    private static float[] scaled(int[] values, float max) {
        float[] f = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            f[i] = values[i] / max;
        }
        return f;
    }
}
