package dev.medseg.data.prep;

import dev.medseg.data.io.NiftiReader;
import dev.medseg.data.layout.SeededSplit;
import dev.medseg.data.layout.Split;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What one prep run does.
 *
 * @param dataset        layout name ({@code synapse}, {@code acdc}, {@code decathlon}/{@code msd}, {@code isic2017},
 *                       {@code busi}, {@code cvc-clinicdb}, {@code cvc-colondb}, {@code images-masks})
 * @param input          dataset root on the local file system
 * @param output         output root, any Hadoop file system URI or local path; must not exist unless {@code overwrite}
 * @param imageSize      stored side length S of every slice (S x S), >= 2
 * @param interpolation  image resampling (labels always nearest)
 * @param intensity      intensity transform, or null for the dataset's default ({@link #defaultIntensity})
 * @param channels       0 = as stored; 1 = RGB to gray (ITU-R 601 luma, as PIL's "L"); 3 = gray replicated to RGB
 * @param strict         any rejected case fails the job and leaves no output
 * @param maxVoxels      largest volume (voxels) or 2-D image (pixels) read; larger ones are rejected unread
 * @param targetFileMb   aimed-at Parquet file size in MB (64-256 recommended)
 * @param overwrite      replace an existing output (only once the new one is complete)
 * @param splitOverrides case id to split, replacing the layout's split for those cases
 * @param seededSplit    split of the seeded layouts (BUSI, CVC, images-masks, MSD), or null for the paper's
 *                       (test 20 %, val 20 % of the rest, seed 41)
 * @param channel        MSD / nnU-Net input channel (4-D frame or _cccc file)
 */
public record PrepOptions(String dataset, String input, String output, int imageSize, Interpolation interpolation,
                          IntensityTransform intensity, int channels, boolean strict, long maxVoxels, int targetFileMb,
                          boolean overwrite, Map<String, Split> splitOverrides, SeededSplit seededSplit, int channel) {

    /** Default stored slice side. */
    public static final int DEFAULT_IMAGE_SIZE = 256;
    /** Default target file size in MB. */
    public static final int DEFAULT_TARGET_FILE_MB = 128;

    /** Validates ranges and copies the overrides. */
    public PrepOptions {
        requireText(dataset, "dataset");
        requireText(input, "input");
        requireText(output, "output");
        if (imageSize < 2 || imageSize > 4096) {
            throw new IllegalArgumentException("imageSize must be in [2, 4096], got " + imageSize);
        }
        Objects.requireNonNull(interpolation, "interpolation");
        if (channels != 0 && channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 0 (as stored), 1 or 3, got " + channels);
        }
        if (maxVoxels < 1) {
            throw new IllegalArgumentException("maxVoxels must be positive, got " + maxVoxels);
        }
        if (targetFileMb < 1 || targetFileMb > 4096) {
            throw new IllegalArgumentException("targetFileMb must be in [1, 4096], got " + targetFileMb);
        }
        if (channel < 0) {
            throw new IllegalArgumentException("channel must be >= 0, got " + channel);
        }
        splitOverrides = java.util.Collections.unmodifiableMap(new TreeMap<>(
                Objects.requireNonNull(splitOverrides, "splitOverrides")));
    }

    /** Defaults: 256, linear, the dataset's intensity transform, channels as stored, 128 MB files. */
    public static PrepOptions defaults(String dataset, String input, String output) {
        return new PrepOptions(dataset, input, output, DEFAULT_IMAGE_SIZE, Interpolation.LINEAR, null, 0, false,
                NiftiReader.DEFAULT_MAX_VOXELS, DEFAULT_TARGET_FILE_MB, false, Map.of(), null, 0);
    }

    /** A copy with another image size. */
    public PrepOptions withImageSize(int size) {
        return new PrepOptions(dataset, input, output, size, interpolation, intensity, channels, strict, maxVoxels,
                targetFileMb, overwrite, splitOverrides, seededSplit, channel);
    }

    /** A copy with another interpolation. */
    public PrepOptions withInterpolation(Interpolation kind) {
        return new PrepOptions(dataset, input, output, imageSize, kind, intensity, channels, strict, maxVoxels,
                targetFileMb, overwrite, splitOverrides, seededSplit, channel);
    }

    /** A copy with another intensity transform (null = dataset default). */
    public PrepOptions withIntensity(IntensityTransform transform) {
        return new PrepOptions(dataset, input, output, imageSize, interpolation, transform, channels, strict, maxVoxels,
                targetFileMb, overwrite, splitOverrides, seededSplit, channel);
    }

    /** A copy with another channel rule. */
    public PrepOptions withChannels(int c) {
        return new PrepOptions(dataset, input, output, imageSize, interpolation, intensity, c, strict, maxVoxels,
                targetFileMb, overwrite, splitOverrides, seededSplit, channel);
    }

    /** A copy with the strict flag set as given. */
    public PrepOptions withStrict(boolean s) {
        return new PrepOptions(dataset, input, output, imageSize, interpolation, intensity, channels, s, maxVoxels,
                targetFileMb, overwrite, splitOverrides, seededSplit, channel);
    }

    /** A copy with another voxel limit. */
    public PrepOptions withMaxVoxels(long v) {
        return new PrepOptions(dataset, input, output, imageSize, interpolation, intensity, channels, strict, v,
                targetFileMb, overwrite, splitOverrides, seededSplit, channel);
    }

    /** A copy with another target file size. */
    public PrepOptions withTargetFileMb(int mb) {
        return new PrepOptions(dataset, input, output, imageSize, interpolation, intensity, channels, strict, maxVoxels,
                mb, overwrite, splitOverrides, seededSplit, channel);
    }

    /** A copy with the overwrite flag set as given. */
    public PrepOptions withOverwrite(boolean o) {
        return new PrepOptions(dataset, input, output, imageSize, interpolation, intensity, channels, strict, maxVoxels,
                targetFileMb, o, splitOverrides, seededSplit, channel);
    }

    /** A copy with per-case split overrides. */
    public PrepOptions withSplitOverrides(Map<String, Split> overrides) {
        return new PrepOptions(dataset, input, output, imageSize, interpolation, intensity, channels, strict, maxVoxels,
                targetFileMb, overwrite, overrides, seededSplit, channel);
    }

    /** A copy with another seeded split (null = the layout's default). */
    public PrepOptions withSeededSplit(SeededSplit s) {
        return new PrepOptions(dataset, input, output, imageSize, interpolation, intensity, channels, strict, maxVoxels,
                targetFileMb, overwrite, splitOverrides, s, channel);
    }

    /** A copy reading another MSD channel. */
    public PrepOptions withChannel(int c) {
        return new PrepOptions(dataset, input, output, imageSize, interpolation, intensity, channels, strict, maxVoxels,
                targetFileMb, overwrite, splitOverrides, seededSplit, c);
    }

    /** The transform actually used: {@link #intensity} or the default of the layout named {@code layoutName}. */
    public IntensityTransform effectiveIntensity(String layoutName) {
        return intensity != null ? intensity : defaultIntensity(layoutName);
    }

    /**
     * The reference preprocessing per layout: Synapse CT window [-125, 275]; ACDC per-volume min-max; MSD
     * per-volume z-score (nnU-Net's choice for non-CT); 2-D datasets the reader's [0, 1] scaling.
     */
    public static IntensityTransform defaultIntensity(String layoutName) {
        return switch (layoutName) {
            case "synapse" -> new IntensityTransform.CtWindow(-125, 275);
            case "acdc" -> new IntensityTransform.MinMax();
            case "decathlon" -> new IntensityTransform.ZScore();
            default -> new IntensityTransform.UnitRange();
        };
    }

    /** Parses an intensity transform: {@code ct-window(lo,hi)}, {@code zscore}, {@code minmax}, {@code unit}. */
    public static IntensityTransform parseIntensity(String text) {
        return IntensityTransform.parse(text);
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must be non-blank");
        }
    }
}
