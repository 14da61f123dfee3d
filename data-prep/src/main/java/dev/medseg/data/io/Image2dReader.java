package dev.medseg.data.io;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads 2-D images (PNG, JPEG, TIFF, BMP, GIF: whatever the JDK's ImageIO decodes) into {@link Image2d} and
 * masks into {@link Mask2d}.
 *
 * <ul>
 *   <li>Values are the raw stored samples (no colour management, like PIL/OpenCV) scaled by their bit depth:
 *       8-bit / 255, 16-bit / 65535, 5-bit / 31 (BMP 565), 1-bit / 1.</li>
 *   <li>Gray (with or without alpha) gives 1 channel, RGB/RGBA 3; alpha is dropped. Palette images are expanded
 *       through the palette: 1 channel when every palette entry is gray (R = G = B), else 3.</li>
 *   <li>The declared width and height are checked against {@code maxPixels} from the header, before any pixel
 *       is decoded. Decoder warnings (e.g. a truncated JPEG, which ImageIO would otherwise grey-fill) are
 *       errors.</li>
 *   <li>Only the first image of a multi-image file (TIFF pages) is read. Float or 32-bit samples and colour
 *       spaces other than gray/RGB are refused.</li>
 * </ul>
 * Every failure is an {@link ImageFormatException} naming the file.
 */
public final class Image2dReader {

    /** Default pixel limit: 50 megapixels (ISIC's largest images are about 30). */
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    /** Deflate cannot compress better than about 1032:1. */
    private static final double MAX_DEFLATE_RATIO = 1032;

    /** How {@link #readMask(Path, MaskRule)} decides foreground from a pixel's colour channels. */
    public enum MaskRule {
        /**
         * Foreground when the largest colour channel is above half its range: for 8-bit samples, max(R, G, B)
         * (or gray) > 127; for 16-bit, > 32767; palette images use the palette colour. Alpha is ignored.
         * Right for 0/255 masks and robust to JPEG noise.
         */
        ABOVE_HALF,
        /** Foreground when any colour channel is non-zero: for masks stored as 0/1. */
        NONZERO
    }

    private final long maxPixels;

    /** A reader with the default pixel limit. */
    public Image2dReader() {
        this(DEFAULT_MAX_PIXELS);
    }

    /** A reader that refuses images declaring more than {@code maxPixels} pixels. */
    public Image2dReader(long maxPixels) {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive: " + maxPixels);
        }
        this.maxPixels = maxPixels;
    }

    /** Reads an image as channel-planar floats in [0, 1]. */
    public Image2d read(Path path) {
        BufferedImage image = decode(path);
        return toImage2d(image, path);
    }

    /** Reads a mask with the {@link MaskRule#ABOVE_HALF} rule. */
    public Mask2d readMask(Path path) {
        return readMask(path, MaskRule.ABOVE_HALF);
    }

    /** Reads a mask (any layout: gray, gray+alpha, RGB, RGBA, palette) as 0/1 per pixel by {@code rule}. */
    public Mask2d readMask(Path path, MaskRule rule) {
        Image2d image = read(path);
        int plane = image.width() * image.height();
        float[] v = image.data();
        byte[] mask = new byte[plane];
        for (int i = 0; i < plane; i++) {
            float max = v[i];
            for (int c = 1; c < image.channels(); c++) {
                max = Math.max(max, v[c * plane + i]);
            }
            // v = sample / maxSample, so "> 0.5" is "sample > 127" for 8-bit and "> 32767" for 16-bit
            boolean on = rule == MaskRule.ABOVE_HALF ? max > 0.5f : max > 0f;
            mask[i] = (byte) (on ? 1 : 0);
        }
        return new Mask2d(mask, image.width(), image.height(), image.source());
    }

    private BufferedImage decode(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new ImageFormatException(path, "file not found");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(path.toFile())) {
            if (in == null) {
                throw new ImageFormatException(path, "cannot open as an image stream");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageFormatException(path, "unsupported or unrecognised image format");
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName();
            try {
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if (width <= 0 || height <= 0) {
                    throw new ImageFormatException(path, format + " header declares " + width + "x" + height);
                }
                if ((long) width * height > maxPixels) {
                    throw new ImageFormatException(path, format + " header declares " + width + "x" + height
                            + " = " + (long) width * height + " pixels, over the limit of " + maxPixels);
                }
                if (format.equalsIgnoreCase("png")) {
                    checkPngChunks(path); // before read(0) allocates the raster
                }
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                BufferedImage image = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new ImageFormatException(path, format + " decoder warning (corrupt or truncated?): "
                            + String.join("; ", warnings));
                }
                return image;
            } catch (IOException | RuntimeException e) {
                if (e instanceof ImageFormatException ife) {
                    throw ife;
                }
                throw new ImageFormatException(path, "cannot decode " + format + " (corrupt or truncated?): "
                        + e, e);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new ImageFormatException(path, "I/O error: " + e, e);
        }
    }

    /**
     * ImageIO's PNG decoder neither checks chunk CRCs nor notices that the IDAT data is far too short for the
     * declared size (it allocates the whole raster first). Walk the chunks once: every CRC must match, the file
     * must reach IEND, and the IDAT bytes must be able to inflate to the declared rows (deflate's best ratio is
     * about 1032:1), so a corrupt or truncated file is refused before any pixel memory is allocated.
     */
    private static void checkPngChunks(Path path) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            if (!Arrays.equals(in.readNBytes(8), PNG_SIGNATURE)) {
                return; // ImageIO chose its PNG reader on a prefix only; it reports the bad signature itself
            }
            CRC32 crc = new CRC32();
            byte[] buf = new byte[8192];
            double declaredRawBytes = -1;
            long idatBytes = 0;
            while (true) {
                byte[] head = in.readNBytes(8);
                if (head.length < 8) {
                    throw pngError(path, "PNG ends before its IEND chunk (truncated)");
                }
                long length = ByteBuffer.wrap(head, 0, 4).getInt() & 0xFFFFFFFFL;
                String type = new String(head, 4, 4, StandardCharsets.ISO_8859_1);
                if (length > Integer.MAX_VALUE) {
                    throw pngError(path, "PNG chunk " + type + " declares " + length + " bytes");
                }
                crc.reset();
                crc.update(head, 4, 4);
                byte[] ihdr = new byte[13];
                for (long left = length; left > 0; ) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        throw pngError(path, "PNG chunk " + type + " truncated: " + (length - left)
                                + " of " + length + " bytes present");
                    }
                    if (type.equals("IHDR") && length == 13) {
                        System.arraycopy(buf, 0, ihdr, (int) (13 - left), n);
                    }
                    crc.update(buf, 0, n);
                    left -= n;
                }
                byte[] stored = in.readNBytes(4);
                if (stored.length < 4) {
                    throw pngError(path, "PNG chunk " + type + " truncated before its CRC");
                }
                if ((ByteBuffer.wrap(stored).getInt() & 0xFFFFFFFFL) != crc.getValue()) {
                    throw pngError(path, "PNG chunk " + type + " fails its CRC check (corrupt file)");
                }
                if (type.equals("IHDR") && length == 13) {
                    declaredRawBytes = pngRawBytes(ihdr);
                } else if (type.equals("IDAT")) {
                    idatBytes += length;
                } else if (type.equals("IEND")) {
                    break;
                }
            }
            if (declaredRawBytes > (idatBytes + 1) * MAX_DEFLATE_RATIO) {
                throw pngError(path, "PNG image data of " + idatBytes + " bytes cannot inflate to the "
                        + (long) declaredRawBytes + " bytes its header declares (truncated or corrupt)");
            }
        }
    }

    private static ImageFormatException pngError(Path path, String detail) {
        return new ImageFormatException(path, "cannot decode png (corrupt or truncated?): " + detail);
    }

    /** Filtered bytes of a non-interlaced image (interlaced ones need more), or -1 for a colour type ImageIO refuses. */
    private static double pngRawBytes(byte[] ihdr) {
        ByteBuffer b = ByteBuffer.wrap(ihdr);
        double width = b.getInt(0) & 0xFFFFFFFFL;
        double height = b.getInt(4) & 0xFFFFFFFFL;
        int depth = ihdr[8];
        int samples = switch (ihdr[9]) {
            case 0, 3 -> 1;
            case 2 -> 3;
            case 4 -> 2;
            case 6 -> 4;
            default -> -1;
        };
        return samples < 0 ? -1 : height * (1 + Math.ceil(width * samples * depth / 8.0));
    }

    private static Image2d toImage2d(BufferedImage image, Path path) {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int w = image.getWidth();
        int h = image.getHeight();
        if (cm instanceof IndexColorModel palette) {
            return fromPalette(palette, raster, w, h, path);
        }
        int type = cm.getColorSpace().getType();
        int colours = cm.getNumColorComponents();
        boolean layoutOk = (type == ColorSpace.TYPE_GRAY && colours == 1)
                || (type == ColorSpace.TYPE_RGB && colours == 3);
        boolean modelOk = cm instanceof ComponentColorModel || cm instanceof DirectColorModel;
        int transfer = raster.getDataBuffer().getDataType();
        boolean samplesOk = transfer == DataBuffer.TYPE_BYTE || transfer == DataBuffer.TYPE_USHORT
                || (transfer == DataBuffer.TYPE_INT && cm instanceof DirectColorModel);
        if (!layoutOk || !modelOk || !samplesOk) {
            throw new ImageFormatException(path, "unsupported pixel layout: " + colours + " colour component(s) in "
                    + colourSpaceName(type) + ", " + cm.getClass().getSimpleName() + ", sample type "
                    + transfer + " (8/16-bit gray or RGB, or palette, are supported)");
        }
        int plane = w * h;
        float[] data = new float[colours * plane];
        int[] row = new int[w];
        for (int c = 0; c < colours; c++) {
            int bits = cm.getComponentSize(c);
            if (bits < 1 || bits > 16) {
                throw new ImageFormatException(path, "unsupported " + bits + "-bit samples");
            }
            float max = (1 << bits) - 1;
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, c, row); // band c is colour component c (alpha comes last)
                int base = c * plane + y * w;
                for (int x = 0; x < w; x++) {
                    data[base + x] = row[x] / max;
                }
            }
        }
        return new Image2d(data, colours, w, h, path.toString());
    }

    private static Image2d fromPalette(IndexColorModel palette, Raster raster, int w, int h, Path path) {
        int size = palette.getMapSize();
        int[] rgb = new int[size];
        palette.getRGBs(rgb); // 8-bit sRGB entries, as stored in the file
        boolean gray = true;
        for (int argb : rgb) {
            int r = (argb >> 16) & 0xFF;
            gray &= r == ((argb >> 8) & 0xFF) && r == (argb & 0xFF);
        }
        int channels = gray ? 1 : 3;
        int plane = w * h;
        float[] data = new float[channels * plane];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                int index = row[x];
                if (index < 0 || index >= size) {
                    throw new ImageFormatException(path, "palette index " + index + " at (" + x + ", " + y
                            + ") outside the " + size + "-entry palette");
                }
                int argb = rgb[index];
                int i = y * w + x;
                for (int c = 0; c < channels; c++) {
                    data[c * plane + i] = ((argb >> (16 - 8 * c)) & 0xFF) / 255f;
                }
            }
        }
        return new Image2d(data, channels, w, h, path.toString());
    }

    private static String colourSpaceName(int type) {
        return switch (type) {
            case ColorSpace.TYPE_GRAY -> "gray";
            case ColorSpace.TYPE_RGB -> "RGB";
            case ColorSpace.TYPE_CMYK -> "CMYK";
            case ColorSpace.TYPE_YCbCr -> "YCbCr";
            default -> "colour space type " + type;
        };
    }
}
