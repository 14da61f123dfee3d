package dev.medseg.job.evaluate;

import dev.medseg.data.prep.Resampler;
import dev.medseg.model.TransUNet;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.nn.Inference;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

/**
 * TransUNet's test-time inference for one case (model-spec §1.9): per slice forward, class per pixel (argmax over
 * the logits; a single logit means sigmoid > 0.5, i.e. logit > 0), then the prediction is resized back to the
 * native grid with nearest neighbour exactly as {@code scipy.ndimage.zoom(order=0)}. No test-time augmentation,
 * no post-processing. Slices go through the graph in batches of {@link #BATCH}.
 */
public final class SlicePredictor {
    /** Slices per forward pass. */
    public static final int BATCH = 8;

    private SlicePredictor() {
    }

    /** The case's predicted class ids on its native grid, D*H*W in slice order (x fastest). */
    public static byte[] predictNative(Graph g, int numClasses, CaseSlices c) {
        int plane = c.height() * c.width();
        byte[] out = new byte[c.depth() * plane];
        List<byte[]> model = predict(g, numClasses, c.channels(), c.size(), c.images());
        for (int z = 0; z < model.size(); z++) {
            System.arraycopy(toNative(model.get(z), c.size(), c.height(), c.width()), 0, out, z * plane, plane);
        }
        return out;
    }

    /** Class ids at the model's size (S*S per slice) of (C, S, S) images. */
    public static List<byte[]> predict(Graph g, int numClasses, int channels, int size, List<float[]> images) {
        int plane = size * size;
        byte[][] out = new byte[images.size()][];
        for (int from = 0; from < images.size(); from += BATCH) {
            int n = Math.min(BATCH, images.size() - from);
            float[] x = new float[n * channels * plane];
            for (int i = 0; i < n; i++) {
                System.arraycopy(images.get(from + i), 0, x, i * channels * plane, channels * plane);
            }
            Map<String, INDArray> result = Inference.outputBySample(g.sd(),
                    Map.of(TransUNet.INPUT, Nd4j.create(x, new long[]{n, channels, size, size}, 'c')), TransUNet.LOGITS);
            INDArray logits = result.get(TransUNet.LOGITS);
            float[] v = logits.dup('c').reshape(logits.length()).toFloatVector();
            for (int i = 0; i < n; i++) {
                out[from + i] = classes(v, i, numClasses, plane);
            }
        }
        return List.of(out);
    }

    /** The class per pixel of sample {@code i} of flat (N, K, S, S) logits: argmax, first maximum wins; K = 1: logit > 0. */
    static byte[] classes(float[] logits, int i, int k, int plane) {
        byte[] out = new byte[plane];
        if (k == 1) {
            for (int p = 0; p < plane; p++) {
                out[p] = (byte) (logits[i * plane + p] > 0 ? 1 : 0);
            }
            return out;
        }
        int base = i * k * plane;
        for (int p = 0; p < plane; p++) {
            int best = 0;
            float top = logits[base + p];
            for (int c = 1; c < k; c++) {
                float z = logits[base + c * plane + p];
                if (z > top) { // ties keep the lower class, as numpy's argmax
                    top = z;
                    best = c;
                }
            }
            out[p] = (byte) best;
        }
        return out;
    }

    /** A model-size (S, S) prediction on the native (H, W) grid: scipy zoom order 0. */
    public static byte[] toNative(byte[] prediction, int size, int height, int width) {
        return Resampler.resizeLabels(prediction, size, size, height, width);
    }
}
