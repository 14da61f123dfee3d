package dev.medseg.data.io;

/**
 * A decoded 2-D image, channel-planar.
 *
 * <p>{@code data[c * height * width + y * width + x]} is channel c of pixel (x, y), i.e. (C, H, W) order with
 * row-major planes. Values are the stored samples divided by the largest value their bit depth can hold
 * (8-bit / 255, 16-bit / 65535), so they lie in [0, 1]. {@code channels} is 1 (gray) or 3 (R, G, B); alpha is
 * dropped. The array is shared, not copied.
 *
 * @param data     samples in (C, H, W) order
 * @param channels 1 or 3
 * @param width    pixels per row
 * @param height   rows
 * @param source   the file the image was read from
 */
public record Image2d(float[] data, int channels, int width, int height, String source) {

    /** Checks that the data length matches the shape. */
    public Image2d {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3: " + channels);
        }
        if (width <= 0 || height <= 0 || data == null || data.length != (long) channels * width * height) {
            throw new IllegalArgumentException("data length does not match " + channels + "x" + height + "x"
                    + width);
        }
    }

    /** Channel c of pixel (x, y). */
    public float value(int c, int y, int x) {
        if (c < 0 || c >= channels || y < 0 || y >= height || x < 0 || x >= width) {
            throw new IndexOutOfBoundsException("(" + c + ", " + y + ", " + x + ") outside " + channels + "x"
                    + height + "x" + width);
        }
        return data[(c * height + y) * width + x];
    }
}
