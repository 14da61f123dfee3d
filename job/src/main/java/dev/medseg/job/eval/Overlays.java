package dev.medseg.job.eval;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * PNG overlays of an image slice with its ground truth and prediction, for people to look at cases.
 * Each class has a fixed colour ({@link #classColor}); the prediction is a translucent fill of its class colour
 * and the ground truth a solid one-pixel contour of its class colour drawn on top, so a miss shows as an empty
 * outline and a false detection as a fill without outline. No legend: the palette is fixed across all pictures.
 */
public final class Overlays {
    /** Weight of the class colour in a predicted pixel (the rest is the image). */
    public static final double FILL_ALPHA = 0.45;

    // 12 distinct colours (Trubetskoy's list) in class order; class ids beyond 12 reuse them
    private static final int[] PALETTE = {
            0xE6194B, 0x3CB44B, 0xFFE119, 0x4363D8, 0xF58231, 0x911EB4,
            0x46F0F0, 0xF032E6, 0xBCF60C, 0xFABEBE, 0x008080, 0xE6BEFF};

    private Overlays() {
    }

    /** The colour of class {@code classId} (>= 1) as 0xRRGGBB. */
    public static int classColor(int classId) {
        if (classId < 1) {
            throw new IllegalArgumentException("class ids start at 1, got " + classId);
        }
        return PALETTE[(classId - 1) % PALETTE.length];
    }

    /**
     * Draws the overlay.
     *
     * @param image      pixels in [0, 1] (clamped; NaN is black), channel-planar (C, H, W), C = 1 (gray) or 3 (RGB)
     * @param channels   1 or 3
     * @param width      W
     * @param height     H
     * @param reference  ground-truth class ids, row-major (H, W), 0 = background; null for none
     * @param prediction predicted class ids, row-major (H, W); null for none
     */
    public static BufferedImage render(float[] image, int channels, int width, int height, int[] reference,
                                       int[] prediction) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (width < 1 || height < 1 || (long) width * height > Integer.MAX_VALUE / 3) {
            throw new IllegalArgumentException("bad size " + width + "x" + height);
        }
        int plane = width * height;
        requireLength(image.length, channels * plane, "image");
        if (reference != null) {
            requireLength(reference.length, plane, "reference");
        }
        if (prediction != null) {
            requireLength(prediction.length, plane, "prediction");
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < plane; i++) {
            int r = sample(image[i]);
            int g = channels == 3 ? sample(image[plane + i]) : r;
            int b = channels == 3 ? sample(image[2 * plane + i]) : r;
            int rgb = (r << 16) | (g << 8) | b;
            if (prediction != null && prediction[i] > 0) {
                rgb = blend(rgb, classColor(prediction[i]), FILL_ALPHA);
            }
            if (reference != null && reference[i] > 0 && onContour(reference, width, height, i)) {
                rgb = classColor(reference[i]);
            }
            out.setRGB(i % width, i / width, rgb);
        }
        return out;
    }

    /** Draws the overlay (see {@link #render}) and writes it as a PNG, creating parent folders. */
    public static void write(Path png, float[] image, int channels, int width, int height, int[] reference,
                             int[] prediction) {
        BufferedImage img = render(image, channels, width, height, reference, prediction);
        try {
            Path parent = png.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (!ImageIO.write(img, "png", png.toFile())) {
                throw new IOException("no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write overlay " + png, e);
        }
    }

    /** {@code a * (1 - alpha) + b * alpha} per channel, rounded. */
    static int blend(int a, int b, double alpha) {
        int out = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            double v = ((a >> shift) & 0xFF) * (1 - alpha) + ((b >> shift) & 0xFF) * alpha;
            out |= (int) Math.round(v) << shift;
        }
        return out;
    }

    // a pixel of a class is on its contour when a 4-neighbour has another label or lies outside the image
    private static boolean onContour(int[] labels, int width, int height, int i) {
        int x = i % width;
        int y = i / width;
        int c = labels[i];
        return x == 0 || y == 0 || x == width - 1 || y == height - 1
                || labels[i - 1] != c || labels[i + 1] != c || labels[i - width] != c || labels[i + width] != c;
    }

    private static int sample(float v) {
        if (!(v > 0)) {
            return 0;
        }
        return v >= 1 ? 255 : Math.round(v * 255);
    }

    private static void requireLength(int actual, int expected, String what) {
        if (actual != expected) {
            throw new IllegalArgumentException(what + " has " + actual + " values, expected " + expected);
        }
    }
}
