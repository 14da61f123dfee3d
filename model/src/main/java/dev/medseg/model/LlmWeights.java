package dev.medseg.model;

import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.io.DType;
import dev.medseg.model.io.LlamaBlockExtractor;
import dev.medseg.model.io.TensorInfo;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.io.TensorSources;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The frozen LLaMA block's nine tensors, read from a block file written by {@code medseg llm extract} (canonical
 * names), a Meta consolidated {@code .pth} or a Hugging Face checkpoint (any layer), checked against the model
 * config, as arrays keyed by the graph's names ({@code transformer.llama.layers.0.*}). Load once per JVM and share.
 */
public final class LlmWeights {
    private static final Logger LOG = LoggerFactory.getLogger(LlmWeights.class);
    /** Where the block sits in the graph. */
    public static final String GRAPH_PREFIX = "transformer.llama.layers.0.";

    private LlmWeights() {}

    /**
     * Checks, from the file's header only, that {@code path} holds layer {@code layer} with the shapes {@code cfg}
     * needs; returns the key of each canonical suffix. Cheap enough for a driver to call before any work starts.
     */
    public static Map<String, String> check(Path path, int layer, ModelConfig.Llm cfg) {
        try (TensorSource src = TensorSources.open(path)) {
            return check(src, layer, cfg);
        } catch (CheckpointFormatException e) {
            throw e;
        } catch (Exception e) {
            throw new CheckpointFormatException(path.toString(), null, "cannot read the LLM block: " + e.getMessage(), e);
        }
    }

    /** Whether {@code storage} holds every value of a {@code stored} tensor exactly. */
    static boolean keepsExactly(DType stored, WeightStorage storage) {
        return switch (storage) {
            case FLOAT32 -> stored == DType.F16 || stored == DType.BF16 || stored == DType.F32;
            case FLOAT16 -> stored == DType.F16;
            case BFLOAT16 -> stored == DType.BF16;
        };
    }

    /**
     * Refuses {@code w} (tensor {@code key} of {@code file}) if float16 would turn one of its values into an infinity
     * (its largest finite value is 65504).
     */
    static void requireHalfRange(String file, String key, INDArray w) {
        double max = w.amaxNumber().doubleValue();
        if (!(max <= HALF_MAX)) {
            throw new CheckpointFormatException(file, key, "holds a value of magnitude " + max
                    + ", beyond float16's range (65504): set model.llm.storage = bfloat16 or float32");
        }
    }

    /** The largest value float16 rounds to a finite number (65504 plus half of its last step, 32, exclusive). */
    static final double HALF_MAX = 65519.99;

    private static Map<String, String> check(TensorSource src, int layer, ModelConfig.Llm cfg) {
        boolean canonical = src.info(LlamaBlockExtractor.CANONICAL.get(0)).isPresent();
        LlamaBlockExtractor.Naming naming = canonical ? null : LlamaBlockExtractor.inspect(src, layer).naming();
        long d = cfg.dim(), kv = (long) cfg.kvHeads() * cfg.headDim(), f = cfg.ffnDim();
        Map<String, long[]> shapes = Map.of(
                "attention.wq.weight", new long[]{d, d}, "attention.wk.weight", new long[]{kv, d},
                "attention.wv.weight", new long[]{kv, d}, "attention.wo.weight", new long[]{d, d},
                "feed_forward.w1.weight", new long[]{f, d}, "feed_forward.w2.weight", new long[]{d, f},
                "feed_forward.w3.weight", new long[]{f, d}, "attention_norm.weight", new long[]{d},
                "ffn_norm.weight", new long[]{d});
        Map<String, String> keys = new LinkedHashMap<>();
        for (String suffix : LlamaBlockExtractor.CANONICAL) {
            String key = canonical ? suffix : naming.key(layer, suffix);
            long[] shape = src.require(key).shape();
            if (!Arrays.equals(shape, shapes.get(suffix))) {
                throw new CheckpointFormatException(src.describe(), key, "has shape "
                        + Arrays.toString(shape) + " but model.llm (dim " + d + ", kv " + kv + ", ffn " + f
                        + ") needs " + Arrays.toString(shapes.get(suffix)));
            }
            keys.put(suffix, key);
        }
        return keys;
    }

    /**
     * The block's weights by graph name: the two norm weights as {@code dtype} (the graph's), the seven matrices as
     * {@code cfg.storage()}, each as the graph keeps it: the file's [out, in], or its transpose [in, out] for the
     * matrices {@link dev.medseg.model.nn.Graph#keptTransposed} names (all but the FFN's down projection w2).
     * Half-precision storage of a half-precision checkpoint keeps its values exactly; other combinations round, and
     * the log says so. A weight that float16 cannot hold (beyond ±65504) is refused.
     */
    public static Map<String, INDArray> load(Path path, int layer, ModelConfig.Llm cfg, DataType dtype) {
        try (TensorSource src = TensorSources.open(path)) {
            Map<String, String> keys = check(src, layer, cfg);
            Map<String, INDArray> out = new LinkedHashMap<>();
            WeightStorage storage = cfg.storage();
            for (var e : keys.entrySet()) {
                String key = e.getValue();
                TensorInfo info = src.require(key);
                INDArray w = OffHeap.floats(info.shape(), b -> src.readFloatInto(key, b));
                boolean matrix = info.rank() == 2;
                if (matrix && dev.medseg.model.nn.Graph.keptTransposed(info.shape()[0], info.shape()[1])) {
                    // kept as [in, out], the transpose of the file's [out, in] (Graph.frozenMatrix)
                    INDArray t = w.transpose().dup('c');
                    w.close();
                    w = t;
                }
                if (matrix && storage == WeightStorage.FLOAT16) {
                    try {
                        requireHalfRange(src.describe(), key, w);
                    } catch (CheckpointFormatException refused) {
                        w.close();
                        out.values().forEach(INDArray::close); // the block loaded so far, not left to a GC
                        throw refused;
                    }
                }
                out.put(GRAPH_PREFIX + e.getKey(), OffHeap.as(w, matrix ? storage.dataType(dtype) : dtype));
                if (matrix && storage != WeightStorage.FLOAT32 && !keepsExactly(info.dtype(), storage)) {
                    LOG.info("{}: {} is {}; model.llm.storage = {} rounds it", src.describe(), key, info.dtype(),
                            storage.configName());
                }
            }
            return out;
        } catch (CheckpointFormatException e) {
            throw e;
        } catch (Exception e) {
            throw new CheckpointFormatException(path.toString(), null, "cannot read the LLM block: " + e.getMessage(), e);
        }
    }
}
