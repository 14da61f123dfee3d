package dev.medseg.data.prep;

import java.io.Serializable;

/**
 * The per-slice processing every task applies, resolved on the driver from {@link PrepOptions} and the listing.
 *
 * @param imageSize     stored side S
 * @param interpolation image resampling
 * @param intensity     intensity transform
 * @param labelLookup   source label id to class id, -1 for ids outside the label map
 * @param numClasses    number of classes (class ids fit uint8)
 * @param channels      0 as stored, 1 gray, 3 RGB
 * @param maxVoxels     read limit per volume or image
 */
public record SliceRecipe(int imageSize, Interpolation interpolation, IntensityTransform intensity, int[] labelLookup,
                          int numClasses, int channels, long maxVoxels) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Checks that class ids fit the uint8 label column. */
    public SliceRecipe {
        if (numClasses < 1 || numClasses > 256) {
            throw new IllegalArgumentException("numClasses must be in [1, 256] to fit uint8 labels, got " + numClasses);
        }
        labelLookup = labelLookup.clone();
    }

    /** The class id of a source label id, or -1 when the id is not in the label map. */
    int classOf(int sourceId) {
        return sourceId >= 0 && sourceId < labelLookup.length ? labelLookup[sourceId] : -1;
    }

    /** Estimated uncompressed bytes of one row (image float32, label, native label, fixed columns). */
    long estimatedRowBytes(int storedChannels, long nativePixels) {
        long s2 = (long) imageSize * imageSize;
        return 4L * storedChannels * s2 + s2 + nativePixels + 256;
    }
}
