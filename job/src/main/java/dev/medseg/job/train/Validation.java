package dev.medseg.job.train;

import dev.medseg.model.ModelConfig;
import dev.medseg.model.TransUNet;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.nn.Inference;
import dev.medseg.model.train.ParamLayout;
import dev.medseg.model.train.TrainState;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Scores the current parameters on the validation slices during training, on the executors (eval mode: running
 * BatchNorm statistics, no dropout). Per foreground class, true/false positives and false negatives are pooled
 * over all validation pixels; Dice and IoU are then averaged over the classes that occur. This only ranks
 * checkpoints: {@code evaluate} scores volumes per case at native resolution.
 */
public final class Validation {
    private static final int BATCH = 8;

    private Validation() {}

    /** Pooled validation scores. */
    public record Scores(double dice, double iou, double[] classDice) implements Serializable {
        public double metric(String name) {
            return name.equals("iou") ? iou : dice;
        }
    }

    /** Pooled counts per class: [class][tp, fp, fn]. Class 0 is background (multi-class) or unused (binary). */
    static Scores run(JavaRDD<SliceSample> val, Broadcast<TrainState> state, RunSpec spec, ParamLayout params,
                      ParamLayout buffers, int numClasses) {
        int classes = Math.max(2, numClasses);
        long[][] zero = new long[classes][3];
        long[][] counts = val.mapPartitions((Iterator<SliceSample> it) -> {
            List<SliceSample> samples = new ArrayList<>();
            it.forEachRemaining(samples::add);
            long[][] c = new long[classes][3];
            if (samples.isEmpty()) return java.util.Collections.singletonList(c).iterator();
            ExecutorModels.withEvalGraph(spec, g -> {
                load(g, state.value(), params, buffers);
                ModelConfig m = ExecutorModels.model(spec);
                for (int from = 0; from < samples.size(); from += BATCH) {
                    List<SliceSample> part = samples.subList(from, Math.min(samples.size(), from + BATCH));
                    count(g, m, part, c);
                }
                return null;
            });
            return java.util.Collections.singletonList(c).iterator();
        }).fold(zero, Validation::add);
        double dice = 0, iou = 0;
        int present = 0;
        double[] perClass = new double[classes];
        for (int k = 1; k < classes; k++) {
            long tp = counts[k][0], fp = counts[k][1], fn = counts[k][2];
            if (tp + fp + fn == 0) {
                perClass[k] = Double.NaN;
                continue;
            }
            perClass[k] = 2.0 * tp / (2.0 * tp + fp + fn);
            dice += perClass[k];
            iou += (double) tp / (tp + fp + fn);
            present++;
        }
        return present == 0 ? new Scores(Double.NaN, Double.NaN, perClass)
                : new Scores(dice / present, iou / present, perClass);
    }

    /** Sets the graph's parameters and buffers from a flat state. */
    public static void load(Graph g, TrainState s, ParamLayout params, ParamLayout buffers) {
        INDArray p = Nd4j.createFromArray(s.params());
        for (ParamLayout.Entry e : params.entries()) assign(g, p, e);
        INDArray b = Nd4j.createFromArray(s.buffers());
        for (ParamLayout.Entry e : buffers.entries()) assign(g, b, e);
    }

    private static void assign(Graph g, INDArray flat, ParamLayout.Entry e) {
        INDArray src = flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(e.offset(), e.offset() + e.length()));
        g.sd().getArrForVarName(e.name()).assign(src.reshape('c', e.shape()));
    }

    private static void count(Graph g, ModelConfig m, List<SliceSample> part, long[][] c) {
        int n = part.size(), ch = m.inChannels(), s = m.imageSize(), plane = s * s;
        float[] x = new float[n * ch * plane];
        for (int i = 0; i < n; i++) System.arraycopy(part.get(i).image(), 0, x, i * ch * plane, ch * plane);
        Map<String, INDArray> out = Inference.outputBySample(g.sd(),
                Map.of(TransUNet.INPUT, Nd4j.create(x, new long[]{n, ch, s, s}, 'c')), TransUNet.LOGITS);
        INDArray logits = out.get(TransUNet.LOGITS);
        int k = m.numClasses();
        float[] v = logits.dup('c').reshape(logits.length()).toFloatVector();
        for (int i = 0; i < n; i++) {
            byte[] label = part.get(i).label();
            for (int p = 0; p < plane; p++) {
                int pred;
                if (k == 1) {
                    pred = v[i * plane + p] > 0 ? 1 : 0; // sigmoid > 0.5
                } else {
                    pred = 0;
                    float best = v[(i * k) * plane + p];
                    for (int cl = 1; cl < k; cl++) {
                        float z = v[(i * k + cl) * plane + p];
                        if (z > best) { best = z; pred = cl; }
                    }
                }
                int truth = label[p] & 0xFF;
                if (k == 1) truth = truth > 0 ? 1 : 0;
                if (pred == truth) {
                    c[pred][0]++;
                } else {
                    c[pred][1]++;
                    c[truth][2]++;
                }
            }
        }
    }

    private static long[][] add(long[][] a, long[][] b) {
        long[][] out = new long[a.length][3];
        for (int i = 0; i < a.length; i++) for (int j = 0; j < 3; j++) out[i][j] = a[i][j] + b[i][j];
        return out;
    }
}
