package dev.medseg.job.train;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Training-time augmentation of one slice, in place of the reference's numpy/scipy transforms, seeded per sample
 * so that a retried Spark task draws the same transforms.
 * <ul>
 *   <li>{@link Kind#TRANSUNET} (TransUNet's RandomGenerator): with p 0.5 rot90 by k ∈ {0..3} (counter-clockwise)
 *       followed by a flip along a random axis; else with p 0.5 a rotation by an integer angle in [−20, 19]
 *       degrees, nearest neighbour, zero fill, same size (scipy.ndimage.rotate order 0, reshape=False).</li>
 *   <li>{@link Kind#FLIPS} (the 2-D recipe's albumentations RandomRotate90 + Flip): rot90 by k ∈ {0..3}, then
 *       each flip with p 0.5.</li>
 * </ul>
 * Works on square slices (C, S, S) with their (S, S) label. Deviation: the reference rotates the 512-pixel slice
 * before resizing to the model size; we rotate the already-resized slice.
 */
public final class Augmentation {
    public enum Kind {
        TRANSUNET, FLIPS, NONE;

        static Kind parse(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }
    }

    private Augmentation() {}

    /** Augments {@code image} (C·S·S) and {@code label} (S·S) in place. */
    public static void apply(Kind kind, float[] image, byte[] label, int channels, int size, SplittableRandom r) {
        switch (kind) {
            case NONE -> { }
            case FLIPS -> {
                rot90(image, label, channels, size, r.nextInt(4));
                if (r.nextBoolean()) flip(image, label, channels, size, true);
                if (r.nextBoolean()) flip(image, label, channels, size, false);
            }
            case TRANSUNET -> {
                if (r.nextDouble() > 0.5) {
                    rot90(image, label, channels, size, r.nextInt(4));
                    flip(image, label, channels, size, r.nextBoolean());
                } else if (r.nextDouble() > 0.5) {
                    rotate(image, label, channels, size, r.nextInt(-20, 20));
                }
            }
        }
    }

    /** Rotates by k·90° counter-clockwise (np.rot90 on the (row, column) axes). */
    static void rot90(float[] image, byte[] label, int channels, int s, int k) {
        k = Math.floorMod(k, 4);
        if (k == 0) return;
        int plane = s * s;
        float[] tmp = new float[plane];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < s; i++) {
                for (int j = 0; j < s; j++) tmp[i * s + j] = image[c * plane + source(i, j, s, k)];
            }
            System.arraycopy(tmp, 0, image, c * plane, plane);
        }
        byte[] lt = new byte[plane];
        for (int i = 0; i < s; i++) for (int j = 0; j < s; j++) lt[i * s + j] = label[source(i, j, s, k)];
        System.arraycopy(lt, 0, label, 0, plane);
    }

    /** Index in the input of output (i, j) for np.rot90(x, k): k=1 maps out[i][j] = in[j][s-1-i]. */
    private static int source(int i, int j, int s, int k) {
        return switch (k) {
            case 1 -> j * s + (s - 1 - i);
            case 2 -> (s - 1 - i) * s + (s - 1 - j);
            default -> (s - 1 - j) * s + i; // k = 3
        };
    }

    /** np.flip along rows (axis 0) when {@code rows}, else along columns (axis 1). */
    static void flip(float[] image, byte[] label, int channels, int s, boolean rows) {
        for (int c = 0; c < channels; c++) flipPlane(image, c * s * s, s, rows);
        byte[] l = label;
        for (int i = 0; i < (rows ? s / 2 : s); i++) {
            for (int j = 0; j < (rows ? s : s / 2); j++) {
                int a = i * s + j, b = rows ? (s - 1 - i) * s + j : i * s + (s - 1 - j);
                byte t = l[a]; l[a] = l[b]; l[b] = t;
            }
        }
    }

    private static void flipPlane(float[] x, int off, int s, boolean rows) {
        for (int i = 0; i < (rows ? s / 2 : s); i++) {
            for (int j = 0; j < (rows ? s : s / 2); j++) {
                int a = off + i * s + j, b = off + (rows ? (s - 1 - i) * s + j : i * s + (s - 1 - j));
                float t = x[a]; x[a] = x[b]; x[b] = t;
            }
        }
    }

    /**
     * scipy.ndimage.rotate(x, angle, order=0, reshape=False, cval=0): rotation about the array centre
     * ((s−1)/2), each output pixel taking the nearest input pixel, 0 outside.
     */
    static void rotate(float[] image, byte[] label, int channels, int s, int degrees) {
        if (degrees == 0) return;
        double a = Math.toRadians(degrees), cos = Math.cos(a), sin = Math.sin(a), c0 = (s - 1) / 2.0;
        int plane = s * s;
        int[] src = new int[plane];
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) {
                // scipy rotates the (row, col) plane counter-clockwise as displayed for positive angles:
                // input = R^-1 (output - centre) + centre with R = [[cos, sin], [-sin, cos]] on (row, col).
                double di = i - c0, dj = j - c0;
                double si = cos * di - sin * dj + c0, sj = sin * di + cos * dj + c0;
                long ri = Math.round(si), rj = Math.round(sj);
                src[i * s + j] = ri >= 0 && ri < s && rj >= 0 && rj < s ? (int) (ri * s + rj) : -1;
            }
        }
        float[] tmp = new float[plane];
        for (int c = 0; c < channels; c++) {
            for (int p = 0; p < plane; p++) tmp[p] = src[p] < 0 ? 0f : image[c * plane + src[p]];
            System.arraycopy(tmp, 0, image, c * plane, plane);
        }
        byte[] lt = new byte[plane];
        for (int p = 0; p < plane; p++) lt[p] = src[p] < 0 ? 0 : label[src[p]];
        System.arraycopy(lt, 0, label, 0, plane);
    }
}
