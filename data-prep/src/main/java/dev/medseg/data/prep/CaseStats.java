package dev.medseg.data.prep;

import java.io.Serializable;

/** What one written case contributed: slices, class pixel counts and intensity moments of the stored images. */
public final class CaseStats implements Serializable {

    private static final long serialVersionUID = 1L;

    final String split;
    int slices;
    final long[] classPixels;
    long pixels;
    double sum;
    double sumSquares;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;

    CaseStats(String split, int numClasses) {
        this.split = split;
        this.classPixels = new long[numClasses];
    }

    void addImage(float[] values) {
        double s = 0;
        double sq = 0;
        for (float v : values) {
            s += v;
            sq += (double) v * v;
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        sum += s;
        sumSquares += sq;
        pixels += values.length;
    }

    void addLabel(byte[] classes) {
        for (byte c : classes) {
            classPixels[c & 0xff]++;
        }
    }

    /** The split the case was written to. */
    public String split() {
        return split;
    }

    /** Slices written. */
    public int slices() {
        return slices;
    }
}
