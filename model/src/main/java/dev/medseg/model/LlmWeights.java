package dev.medseg.model;

import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.io.LlamaBlockExtractor;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.io.TensorSources;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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

    public static Map<String, INDArray> load(Path path, int layer, ModelConfig.Llm cfg, DataType dtype) {
        try (TensorSource src = TensorSources.open(path)) {
            Map<String, String> keys = check(src, layer, cfg);
            Map<String, INDArray> out = new LinkedHashMap<>();
            for (var e : keys.entrySet()) {
                String key = e.getValue();
                INDArray w = OffHeap.floats(src.require(key).shape(), b -> src.readFloatInto(key, b));
                out.put(GRAPH_PREFIX + e.getKey(), OffHeap.as(w, dtype));
            }
            return out;
        } catch (CheckpointFormatException e) {
            throw e;
        } catch (Exception e) {
            throw new CheckpointFormatException(path.toString(), null, "cannot read the LLM block: " + e.getMessage(), e);
        }
    }
}
