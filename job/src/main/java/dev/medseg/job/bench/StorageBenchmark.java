package dev.medseg.job.bench;

import dev.medseg.model.ModelConfig;
import dev.medseg.model.TransUNet;
import dev.medseg.model.WeightStorage;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.nn.Inference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What half-precision storage of the frozen LLM block does to LLM-TransUNet's outputs: eval logits of the same
 * seeded model and images with the block's matrices kept as float32 (the reference), float16 and bfloat16. The
 * weights are drawn in fp32 (as the peer's random block), so half storage rounds every one of them: the worst case.
 * A checkpoint already in that half type gives equal logits (FrozenStorageTest).
 */
public final class StorageBenchmark {
    private StorageBenchmark() {}

    /** Runs the comparison at {@code size} px with {@code batch} images; {@code tiny}: the test-size model. */
    public static List<BenchLine> run(int size, int classes, int batch, boolean tiny, Consumer<BenchLine> out,
                                      Consumer<String> log) {
        ModelConfig base = BenchModel.LLM_TRANSUNET.config(size, classes, tiny, WeightStorage.FLOAT32);
        int n = base.imageSize();
        INDArray x = Nd4j.create(ModelBenchmark.randomImages(batch, base), new long[]{batch, base.inChannels(), n, n}, 'c');
        Map<String, INDArray> reference = outputs(base, x);
        INDArray ref = reference.get(TransUNet.LOGITS), refBlock = reference.get(TransUNet.LLM_OUTPUT);
        INDArray refClass = ref.argMax(1);
        double scale = Transforms.abs(ref, true).meanNumber().doubleValue();
        double blockScale = Transforms.abs(refBlock, true).meanNumber().doubleValue();
        List<BenchLine> lines = new ArrayList<>();
        for (WeightStorage s : List.of(WeightStorage.FLOAT16, WeightStorage.BFLOAT16)) {
            Map<String, INDArray> o = outputs(base.withLlm(base.llm().orElseThrow().withStorage(s)), x);
            INDArray y = o.get(TransUNet.LOGITS);
            INDArray diff = Transforms.abs(y.sub(ref), false);
            double max = diff.maxNumber().doubleValue(), mean = diff.meanNumber().doubleValue();
            double blockDiff = Transforms.abs(o.get(TransUNet.LLM_OUTPUT).sub(refBlock), false).meanNumber().doubleValue();
            double agree = y.argMax(1).eq(refClass).castTo(DataType.FLOAT).meanNumber().doubleValue();
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("model", BenchModel.LLM_TRANSUNET.id() + (tiny ? " (tiny)" : ""));
            c.put("storage", s.configName());
            c.put("reference", "float32 storage, same seeded weights and images");
            c.put("batch", batch);
            c.put("size", n);
            c.put("classes", classes);
            c.put("mean_abs_logit", scale);
            c.put("mean_abs_block_output", blockScale);
            String p = "storage.llm-transunet." + s.configName() + ".";
            for (BenchLine l : List.of(new BenchLine(p + "logit_max_abs_diff", max, "logit", c),
                    new BenchLine(p + "logit_mean_abs_diff", mean, "logit", c),
                    new BenchLine(p + "block_output_rel_diff", blockDiff / blockScale,
                            "mean |difference| / mean |value| of the frozen block's output", c),
                    new BenchLine(p + "argmax_agreement", agree, "fraction of pixels", c))) {
                lines.add(l);
                out.accept(l);
            }
            log.accept(String.format("bench storage: %s: the block's output moves by %.3g of its size; logits within %.3g "
                    + "(mean %.3g, mean |logit| %.3g), same class at %.4f of pixels", s.configName(), blockDiff / blockScale,
                    max, mean, scale, agree));
        }
        return lines;
    }

    /** Eval logits and block output of a freshly built {@code cfg} (seeded draws, the same for every storage) on {@code x}. */
    private static Map<String, INDArray> outputs(ModelConfig cfg, INDArray x) {
        Graph g = new Graph(Graph.Mode.EVAL, 0, ModelBenchmark.SEED, DataType.FLOAT, null);
        TransUNet.build(g, cfg);
        Map<String, INDArray> y = new LinkedHashMap<>();
        Inference.output(g.sd(), Map.of(TransUNet.INPUT, x), TransUNet.LOGITS, TransUNet.LLM_OUTPUT)
                .forEach((k, v) -> y.put(k, v.dup()));
        for (var v : g.sd().variables()) { // the graph's ~1.3 GB of weights go now, not at some later GC
            INDArray a = v.getArr();
            if (a != null && !a.wasClosed() && a.closeable()) a.close();
        }
        return y;
    }
}
