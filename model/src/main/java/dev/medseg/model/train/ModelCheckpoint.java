package dev.medseg.model.train;

import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.io.DType;
import dev.medseg.model.io.SafetensorsSource;
import dev.medseg.model.io.SafetensorsWriter;
import dev.medseg.model.io.TensorInfo;
import dev.medseg.model.io.TensorSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Our checkpoint: one {@code .safetensors} file holding everything needed to evaluate or resume a run.
 * <ul>
 *   <li>trainable parameters and BatchNorm buffers under their PyTorch state-dict names and in PyTorch's layouts
 *       (conv kernels OIHW), so {@code safetensors.torch.load_file} gives a state dict the reference model loads;</li>
 *   <li>optimizer slots as {@code optimizer.<slot>.<parameter name>} in the same layouts;</li>
 *   <li>string metadata: {@value #FORMAT_KEY}, {@value #STEP_KEY} and whatever the caller adds (config, seed,
 *       round, epoch...).</li>
 * </ul>
 * Frozen LLM weights are never written: they come from their own checkpoint. The write is atomic (the file appears
 * complete or not at all).
 */
public final class ModelCheckpoint {
    public static final String FORMAT = "medseg-checkpoint/1";
    public static final String FORMAT_KEY = "format";
    public static final String STEP_KEY = "step";
    public static final String SLOTS_KEY = "optimizer_slots";
    static final String SLOT_PREFIX = "optimizer.";

    private ModelCheckpoint() {}

    /** A read checkpoint: its metadata and state. */
    public record Contents(Map<String, String> metadata, TrainState state) {}

    /** Writes {@code state} laid out by {@code params}/{@code buffers} to {@code file}, with {@code metadata}. */
    public static void write(Path file, ParamLayout params, ParamLayout buffers, TrainState state,
                             Map<String, String> metadata) throws IOException {
        if (state.params().length != params.size() || state.buffers().length != buffers.size()) {
            throw new IllegalArgumentException("state does not fit the layouts");
        }
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put(FORMAT_KEY, FORMAT);
        meta.put(STEP_KEY, Long.toString(state.step()));
        meta.put(SLOTS_KEY, Integer.toString(state.slots().length));
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (ParamLayout.Entry e : params.entries()) {
            entries.add(new SafetensorsWriter.Entry(e.name(), DType.F32, torchShape(e.shape())));
            for (int s = 0; s < state.slots().length; s++) {
                entries.add(new SafetensorsWriter.Entry(slotName(s, e.name()), DType.F32, torchShape(e.shape())));
            }
        }
        for (ParamLayout.Entry e : buffers.entries()) {
            entries.add(new SafetensorsWriter.Entry(e.name(), DType.F32, torchShape(e.shape())));
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(file, entries, meta)) {
            for (ParamLayout.Entry e : params.entries()) {
                w.write(e.name(), toTorch(state.params(), e));
                for (int s = 0; s < state.slots().length; s++) w.write(slotName(s, e.name()), toTorch(state.slots()[s], e));
            }
            for (ParamLayout.Entry e : buffers.entries()) w.write(e.name(), toTorch(state.buffers(), e));
        }
    }

    /**
     * Reads a checkpoint written for a model with these layouts. Every tensor must be present with its shape; a
     * foreign or damaged file gives a {@link CheckpointFormatException} naming the file and the tensor.
     */
    public static Contents read(Path file, ParamLayout params, ParamLayout buffers) {
        try (SafetensorsSource src = SafetensorsSource.openFile(file)) {
            Map<String, String> meta = src.metadata();
            if (!FORMAT.equals(meta.get(FORMAT_KEY))) {
                throw new CheckpointFormatException(file.toString(), "not a " + FORMAT + " file (format = "
                        + meta.get(FORMAT_KEY) + "); reference PyTorch checkpoints are loaded with --checkpoint/init, not resumed");
            }
            long step = parseLong(file, meta, STEP_KEY);
            int slots = (int) parseLong(file, meta, SLOTS_KEY);
            if (slots < 0 || slots > 4) throw new CheckpointFormatException(file.toString(), "implausible optimizer_slots " + slots);
            float[] p = new float[params.length()];
            float[][] s = new float[slots][params.length()];
            float[] b = new float[buffers.length()];
            for (ParamLayout.Entry e : params.entries()) {
                fromTorch(src, e.name(), e, p);
                for (int k = 0; k < slots; k++) fromTorch(src, slotName(k, e.name()), e, s[k]);
            }
            for (ParamLayout.Entry e : buffers.entries()) fromTorch(src, e.name(), e, b);
            return new Contents(meta, new TrainState(step, p, s, b));
        }
    }

    /** Just the metadata (cheap: the header only). */
    public static Map<String, String> metadata(Path file) {
        try (SafetensorsSource src = SafetensorsSource.openFile(file)) {
            return src.metadata();
        }
    }

    private static String slotName(int slot, String param) {
        return SLOT_PREFIX + slot + "." + param;
    }

    private static long parseLong(Path file, Map<String, String> meta, String key) {
        try {
            return Long.parseLong(meta.getOrDefault(key, ""));
        } catch (NumberFormatException ex) {
            throw new CheckpointFormatException(file.toString(), "metadata " + key + " is not a number: " + meta.get(key));
        }
    }

    /** Our HWIO conv kernels are OIHW in PyTorch; everything else keeps its shape. */
    static long[] torchShape(long[] ours) {
        return ours.length == 4 ? new long[]{ours[3], ours[2], ours[0], ours[1]} : ours;
    }

    private static float[] toTorch(float[] flat, ParamLayout.Entry e) {
        float[] out = new float[(int) e.length()];
        long[] sh = e.shape();
        if (sh.length != 4) {
            System.arraycopy(flat, (int) e.offset(), out, 0, out.length);
            return out;
        }
        int kh = (int) sh[0], kw = (int) sh[1], ci = (int) sh[2], co = (int) sh[3], off = (int) e.offset();
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int i = 0; i < ci; i++)
                    for (int o = 0; o < co; o++)
                        out[((o * ci + i) * kh + y) * kw + x] = flat[off + ((y * kw + x) * ci + i) * co + o];
        return out;
    }

    private static void fromTorch(TensorSource src, String name, ParamLayout.Entry e, float[] flat) {
        TensorInfo info = src.require(name);
        long[] want = torchShape(e.shape());
        if (!Arrays.equals(info.shape(), want)) {
            throw new CheckpointFormatException(src.describe(), name, "has shape " + Arrays.toString(info.shape())
                    + " but the model needs " + Arrays.toString(want));
        }
        float[] v = src.readFloat(name);
        long[] sh = e.shape();
        int off = (int) e.offset();
        if (sh.length != 4) {
            System.arraycopy(v, 0, flat, off, v.length);
            return;
        }
        int kh = (int) sh[0], kw = (int) sh[1], ci = (int) sh[2], co = (int) sh[3];
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int i = 0; i < ci; i++)
                    for (int o = 0; o < co; o++)
                        flat[off + ((y * kw + x) * ci + i) * co + o] = v[((o * ci + i) * kh + y) * kw + x];
    }
}
