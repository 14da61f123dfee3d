package dev.medseg.data.synth;

/**
 * A smooth closed region: an ellipsoid (an ellipse when used in 2-D with z = cz) whose radius is modulated by a few
 * low-order harmonics of the in-plane angle, so organs and lesions get irregular but smooth outlines.
 *
 * @param cx        centre x in pixels
 * @param cy        centre y in pixels
 * @param cz        centre z in slices
 * @param rx        radius along x
 * @param ry        radius along y
 * @param rz        radius along z
 * @param amplitude relative radius modulation of harmonics 2, 3, 4, ... (sum below 1)
 * @param phase     phase of each harmonic
 */
record Blob(double cx, double cy, double cz, double rx, double ry, double rz, double[] amplitude, double[] phase) {
    Blob {
        if (!(rx > 0 && ry > 0 && rz > 0)) throw new IllegalArgumentException("radii must be positive");
        if (amplitude.length != phase.length) throw new IllegalArgumentException("one phase per harmonic");
        double sum = 0;
        for (double a : amplitude) sum += Math.abs(a);
        if (sum >= 0.9) throw new IllegalArgumentException("harmonic amplitudes too large: " + sum);
        amplitude = amplitude.clone();
        phase = phase.clone();
    }

    /** An ellipsoid with {@code harmonics} random harmonics of total amplitude up to {@code irregularity}. */
    static Blob random(CaseRandom r, double cx, double cy, double cz, double rx, double ry, double rz,
                       int harmonics, double irregularity) {
        double[] a = new double[harmonics], p = new double[harmonics];
        for (int k = 0; k < harmonics; k++) {
            a[k] = r.uniform(0, irregularity / harmonics);
            p[k] = r.uniform(0, 2 * Math.PI);
        }
        return new Blob(cx, cy, cz, rx, ry, rz, a, p);
    }

    /** Normalised distance from the centre: below 1 inside, 1 on the outline. */
    double level(double x, double y, double z) {
        double dx = (x - cx) / rx, dy = (y - cy) / ry, dz = (z - cz) / rz;
        double d2 = dx * dx + dy * dy + dz * dz;
        double bound = 1;
        for (double a : amplitude) bound += a;
        if (d2 > 4 * bound * bound) return 2; // far outside: skip the trigonometry
        double t = Math.atan2(dy, dx), radius = 1;
        for (int k = 0; k < amplitude.length; k++) radius += amplitude[k] * Math.sin((k + 2) * t + phase[k]);
        return Math.sqrt(d2) / radius;
    }

    /** Whether (x, y, z) is inside. */
    boolean contains(double x, double y, double z) {
        return level(x, y, z) < 1;
    }
}
