package dev.medseg.data.prep;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The CT window's int16 lookup table gives exactly what the formula gives, for every kind of input. */
class IntensityTransformTest {

    /** The formula the window is defined by (clip, then scale), in double, rounded to float once. */
    private static float reference(float v, double lo, double hi) {
        double x = Math.min(hi, Math.max(lo, v));
        return (float) ((x - lo) / (hi - lo));
    }

    @Test
    void ctWindowByHand() {
        float[] v = {-1000, -125, 75, 275, 3000};
        new IntensityTransform.CtWindow(-125, 275).apply(v, "hand");
        assertEquals(0f, v[0]);
        assertEquals(0f, v[1]);
        assertEquals(0.5f, v[2]);
        assertEquals(1f, v[3]);
        assertEquals(1f, v[4]);
    }

    @Test
    void ctWindowTableIsBitIdenticalToTheFormula() {
        Random r = new Random(7);
        float[] special = {-0f, 0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 32767f, -32768f,
                32768f, -32769f, 40000f, -40000f, 0.5f, -0.5f, 1e-30f};
        float[] v = new float[200_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (i % 4) {
                case 0 -> (float) Math.rint(r.nextGaussian() * 800);     // int16-like CT values
                case 1 -> (float) (r.nextGaussian() * 300);              // fractional values take the formula
                case 2 -> r.nextInt(1 << 16) + Short.MIN_VALUE;         // the whole table
                default -> special[r.nextInt(special.length)];
            };
        }
        double[][] windows = {{-125, 275}, {0, 100}, {-100, 0}, {-0.5, 0.7}, {-1000.25, 3000.5}};
        for (double[] w : windows) {
            float[] got = v.clone();
            new IntensityTransform.CtWindow(w[0], w[1]).apply(got, "random");
            for (int i = 0; i < v.length; i++) {
                float want = reference(v[i], w[0], w[1]);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]),
                        "window " + w[0] + ".." + w[1] + " of " + v[i] + ": want " + want + ", got " + got[i]);
            }
        }
    }
}
