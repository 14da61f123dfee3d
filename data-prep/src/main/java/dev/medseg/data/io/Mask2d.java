package dev.medseg.data.io;

/**
 * A binary 2-D segmentation mask: {@code data[y * width + x]} is 1 for foreground, 0 for background.
 * The array is shared, not copied.
 *
 * @param data   0/1 per pixel, row-major [y][x]
 * @param width  pixels per row
 * @param height rows
 * @param source the file the mask was read from
 */
public record Mask2d(byte[] data, int width, int height, String source) {

    /** Checks that the data length matches the shape. */
    public Mask2d {
        if (width <= 0 || height <= 0 || data == null || data.length != (long) width * height) {
            throw new IllegalArgumentException("data length does not match " + height + "x" + width);
        }
    }

    /** True when pixel (x, y) is foreground. */
    public boolean isForeground(int x, int y) {
        if (x < 0 || x >= width || y < 0 || y >= height) {
            throw new IndexOutOfBoundsException("(" + x + ", " + y + ") outside " + width + "x" + height);
        }
        return data[y * width + x] != 0;
    }

    /** Number of foreground pixels. */
    public long foregroundCount() {
        long n = 0;
        for (byte b : data) {
            n += b;
        }
        return n;
    }

    /** This mask OR-merged with another of the same size (BUSI ships some lesions as several mask files). */
    public Mask2d or(Mask2d other) {
        if (other.width != width || other.height != height) {
            throw new IllegalArgumentException("mask sizes differ: " + width + "x" + height + " (" + source
                    + ") and " + other.width + "x" + other.height + " (" + other.source + ")");
        }
        byte[] merged = new byte[data.length];
        for (int i = 0; i < merged.length; i++) {
            merged[i] = (byte) (data[i] | other.data[i]);
        }
        return new Mask2d(merged, width, height, source);
    }
}
