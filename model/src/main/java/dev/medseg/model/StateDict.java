package dev.medseg.model;

import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.io.TensorInfo;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.nn.Graph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loads a reference PyTorch state dict (TransUNet's {@code VisionTransformer}, LLM-TransUNet's {@code LLMUet}, e.g.
 * {@code epoch_149.pth}) into a graph. Our variable names are the reference keys, so this is a name match, a shape
 * check on every key, and one layout change: conv kernels are stored OIHW by PyTorch and HWIO here.
 * Unlike the reference's {@code strict=False} loads, a missing or misshapen tensor is an error, never a silent skip.
 */
public final class StateDict {
    /** What a load did: keys loaded, and checkpoint keys the model has no use for. */
    public record Report(int loaded, List<String> unused) {}

    private StateDict() {}

    /** Loads every trainable, frozen and buffer variable of {@code g} from {@code src}. */
    public static Report load(Graph g, TensorSource src) {
        return load(g, src, true);
    }

    /**
     * Loads the trainable and buffer variables of {@code g}, and the frozen ones when {@code withFrozen} (our
     * checkpoints leave the frozen LLM block out: it comes from its own file).
     */
    public static Report load(Graph g, TensorSource src, boolean withFrozen) {
        Map<String, long[]> wanted = new LinkedHashMap<>();
        wanted.putAll(g.trainable());
        if (withFrozen) wanted.putAll(g.frozen());
        wanted.putAll(g.buffers());
        List<String> missing = new ArrayList<>();
        for (String name : wanted.keySet()) if (src.info(name).isEmpty()) missing.add(name);
        if (!missing.isEmpty()) {
            throw new CheckpointFormatException(src.describe(), missing.size() + " tensors the model needs are missing, e.g. "
                    + missing.subList(0, Math.min(5, missing.size())) + " (is this a checkpoint of the same model config?)");
        }
        for (var e : wanted.entrySet()) {
            String name = e.getKey();
            long[] ours = e.getValue();
            TensorInfo info = src.require(name);
            long[] theirs = info.shape();
            boolean conv = ours.length == 4 && theirs.length == 4;
            boolean transposed = g.storedTransposed(name); // a frozen matrix kept as [in, out]
            long[] expected = conv ? new long[]{ours[3], ours[2], ours[0], ours[1]}
                    : transposed ? new long[]{ours[1], ours[0]} : ours;
            if (!Arrays.equals(expected, theirs)) {
                throw new CheckpointFormatException(src.describe(), name, "has shape "
                        + Arrays.toString(theirs) + " but the model needs " + Arrays.toString(expected));
            }
            INDArray value = Nd4j.create(src.readFloat(name), theirs, 'c');
            if (conv) value = value.permute(2, 3, 1, 0).dup('c'); // OIHW -> HWIO
            if (transposed) value = value.transpose().dup('c');
            INDArray target = g.sd().getArrForVarName(name);
            if (target.dataType() == DataType.HALF) LlmWeights.requireHalfRange(src.describe(), name, value);
            target.assign(value.castTo(target.dataType()));
        }
        Set<String> unused = new TreeSet<>(src.names());
        unused.removeAll(wanted.keySet());
        unused.removeIf(k -> k.endsWith(".num_batches_tracked") || k.equals("transformer.llama.norm.weight")
                || (!withFrozen && k.startsWith("optimizer.")));
        return new Report(wanted.size(), List.copyOf(unused));
    }
}
