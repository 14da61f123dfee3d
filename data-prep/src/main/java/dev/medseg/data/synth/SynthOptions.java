package dev.medseg.data.synth;

/**
 * What to generate: how many cases, how large, and the seed. The same options always give byte-identical files.
 *
 * @param cases number of cases (Synapse: volumes; ACDC: patients, two frames each; ISIC/BUSI: images)
 * @param size  in-plane side in pixels (ISIC images are size x 3/4 size, like the 4:3 dermoscopy photos)
 * @param depth slices per volume (Synapse, ACDC); ignored by the 2-D layouts
 * @param seed  the generator seed; each case derives its own stream from (seed, case), so a case does not change
 *              when more cases are asked for
 */
public record SynthOptions(int cases, int size, int depth, long seed) {
    /** Bounds keep a mistyped option from filling the disk. */
    public SynthOptions {
        if (cases < 1 || cases > 1000) throw new IllegalArgumentException("cases must be 1..1000, got " + cases);
        if (size < 32 || size > 1024) throw new IllegalArgumentException("size must be 32..1024 pixels, got " + size);
        if (depth < 1 || depth > 512) throw new IllegalArgumentException("depth must be 1..512 slices, got " + depth);
    }
}
