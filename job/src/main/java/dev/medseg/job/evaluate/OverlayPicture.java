package dev.medseg.job.evaluate;

import java.io.Serializable;

/**
 * One slice to draw, on the native grid: the image for display, the reference and the prediction.
 *
 * @param caseId     the case id
 * @param slice      the slice index
 * @param channels   image channels (1 or 3)
 * @param width      native width W
 * @param height     native height H
 * @param image      (C, H, W) pixels scaled to [0, 1] for display
 * @param reference  reference class ids, row-major (H, W)
 * @param prediction predicted class ids, row-major (H, W)
 */
public record OverlayPicture(String caseId, int slice, int channels, int width, int height, float[] image,
                             int[] reference, int[] prediction) implements Serializable {
}
