package dev.medseg.job.train;

import java.io.Serializable;

/**
 * One training or validation slice as executors hold it: decoded pixels (C·H·W float32) and class ids (H·W).
 * {@code key} orders samples deterministically (case id, slice index) whatever order Spark delivers them in.
 */
public record SliceSample(String caseId, int sliceIndex, float[] image, byte[] label) implements Serializable {

    /** Sort key: case id, then slice index. */
    public String key() {
        return caseId + '\u0000' + String.format("%08d", sliceIndex);
    }
}
