package dev.medseg.model.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Copies the nine tensors of one LLaMA transformer block out of a full checkpoint (Meta consolidated or
 * Hugging Face naming, one file or sharded) into a small safetensors file with canonical Meta suffix names
 * ({@code attention.wq.weight}, ...), so that training never has to open the 13 GB original.
 * Tensors are copied one at a time; at most one is in memory.
 */
public final class LlamaBlockExtractor {

    /** Key naming schemes of LLaMA checkpoints. */
    public enum Naming {
        /** Meta's {@code consolidated.NN.pth}: {@code layers.{i}.attention.wq.weight}. */
        META("layers.%d."),
        /** Hugging Face transformers: {@code model.layers.{i}.self_attn.q_proj.weight}. */
        HF("model.layers.%d.");

        private final String prefix;

        Naming(String prefix) {
            this.prefix = prefix;
        }

        /** The source key for canonical suffix {@code canonical} in block {@code layer}. */
        public String key(int layer, String canonical) {
            String suffix = this == META ? canonical : HF_SUFFIX.get(canonical);
            return String.format(prefix, layer) + suffix;
        }
    }

    /** The nine canonical (Meta) suffixes of a block, in the order they are written. */
    public static final List<String> CANONICAL = List.of(
            "attention.wq.weight", "attention.wk.weight", "attention.wv.weight", "attention.wo.weight",
            "feed_forward.w1.weight", "feed_forward.w2.weight", "feed_forward.w3.weight",
            "attention_norm.weight", "ffn_norm.weight");

    /** Meta suffix to HF suffix, per transformers' convert_llama_weights_to_hf.py. */
    private static final Map<String, String> HF_SUFFIX = Map.of(
            "attention.wq.weight", "self_attn.q_proj.weight",
            "attention.wk.weight", "self_attn.k_proj.weight",
            "attention.wv.weight", "self_attn.v_proj.weight",
            "attention.wo.weight", "self_attn.o_proj.weight",
            "feed_forward.w1.weight", "mlp.gate_proj.weight",
            "feed_forward.w2.weight", "mlp.down_proj.weight",
            "feed_forward.w3.weight", "mlp.up_proj.weight",
            "attention_norm.weight", "input_layernorm.weight",
            "ffn_norm.weight", "post_attention_layernorm.weight");

    private static final Pattern LAYER_KEY = Pattern.compile("^(model\\.)?layers\\.(\\d+)\\.");

    /**
     * What was found for one block.
     *
     * @param source      file name of the checkpoint (or its index)
     * @param layer       block index
     * @param naming      key naming of the source
     * @param dim         model width (wq is dim x dim)
     * @param ffnDim      SwiGLU hidden width (w1 is ffnDim x dim)
     * @param kvDim       key/value width (wk is kvDim x dim; less than dim under grouped-query attention)
     * @param sourceDtype dtype of the stored tensors
     */
    public record Block(String source, int layer, Naming naming, long dim, long ffnDim, long kvDim, DType sourceDtype) {
    }

    private LlamaBlockExtractor() {
    }

    /** Detects the naming, checks the nine tensors are present, floating-point, of one dtype and of consistent shapes. */
    public static Block inspect(TensorSource src, int layer) {
        Naming naming = detect(src, layer);
        Map<String, TensorInfo> t = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (String c : CANONICAL) {
            String key = naming.key(layer, c);
            src.info(key).ifPresentOrElse(i -> t.put(c, i), () -> missing.add(key));
        }
        if (!missing.isEmpty()) {
            throw new CheckpointFormatException(src.describe(), "block " + layer + " (" + naming + " naming) lacks " + missing);
        }
        TensorInfo wq = t.get("attention.wq.weight");
        if (wq.rank() != 2) {
            throw shape(src, wq, "a matrix");
        }
        long dim = wq.dim(1);
        long kv = t.get("attention.wk.weight").rank() == 2 ? t.get("attention.wk.weight").dim(0) : -1;
        long ffn = t.get("feed_forward.w1.weight").rank() == 2 ? t.get("feed_forward.w1.weight").dim(0) : -1;
        if (kv <= 0 || kv > dim || dim % kv != 0) {
            throw shape(src, t.get("attention.wk.weight"), "[kv, " + dim + "] with kv dividing " + dim);
        }
        Map<String, long[]> expected = Map.of(
                "attention.wq.weight", new long[] {dim, dim}, "attention.wk.weight", new long[] {kv, dim},
                "attention.wv.weight", new long[] {kv, dim}, "attention.wo.weight", new long[] {dim, dim},
                "feed_forward.w1.weight", new long[] {ffn, dim}, "feed_forward.w2.weight", new long[] {dim, ffn},
                "feed_forward.w3.weight", new long[] {ffn, dim},
                "attention_norm.weight", new long[] {dim}, "ffn_norm.weight", new long[] {dim});
        for (String c : CANONICAL) {
            TensorInfo i = t.get(c);
            if (!Arrays.equals(i.shape(), expected.get(c))) {
                throw shape(src, i, Arrays.toString(expected.get(c)) + " (dim " + dim + ", ffn " + ffn + ", kv " + kv + ")");
            }
            if (!i.dtype().isFloating() || i.dtype() != wq.dtype()) {
                throw new CheckpointFormatException(src.describe(), i.name(), "dtype " + i.dtype() + " differs from "
                        + wq.name() + " (" + wq.dtype() + "); a block must have one floating dtype");
            }
        }
        return new Block(src.file().getFileName().toString(), layer, naming, dim, ffn, kv, wq.dtype());
    }

    /**
     * Writes block {@code layer} of {@code src} to the safetensors file {@code out}, keeping the stored dtype
     * (f16/bf16 stay) or converting to f32 if {@code toF32}. Returns what was written.
     */
    public static Block extract(TensorSource src, int layer, Path out, boolean toF32) throws IOException {
        Block b = inspect(src, layer);
        DType outType = toF32 ? DType.F32 : b.sourceDtype();
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (String c : CANONICAL) {
            entries.add(new SafetensorsWriter.Entry(c, outType, src.require(b.naming().key(layer, c)).shape()));
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(out, entries, metadata(b, outType))) {
            for (String c : CANONICAL) {
                String key = b.naming().key(layer, c);
                if (toF32) {
                    w.write(c, src.readFloat(key));
                } else {
                    w.writeRaw(c, src.readRaw(key));
                }
            }
        }
        return b;
    }

    /** The provenance stored in the extracted file's {@code __metadata__}. */
    static Map<String, String> metadata(Block b, DType outType) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "medseg-llama-block-v1");
        m.put("source", b.source());
        m.put("layer", Integer.toString(b.layer()));
        m.put("naming", b.naming().name().toLowerCase(java.util.Locale.ROOT));
        m.put("dim", Long.toString(b.dim()));
        m.put("ffn_dim", Long.toString(b.ffnDim()));
        m.put("n_kv_dim", Long.toString(b.kvDim()));
        m.put("dtype", outType.toString());
        m.put("source_dtype", b.sourceDtype().toString());
        if (b.naming() == Naming.HF) {
            // HF permutes q/k rows per head for its rotary layout; the same permutation on q and k leaves every
            // q.k product unchanged, and this block applies no RoPE (model-spec 2.3), so no inverse is applied.
            m.put("hf_qk", "q_proj/k_proj taken as-is (HF rotary row permutation not undone; harmless without RoPE)");
        }
        return m;
    }

    private static Naming detect(TensorSource src, int layer) {
        boolean meta = src.info(Naming.META.key(layer, CANONICAL.get(0))).isPresent();
        boolean hf = src.info(Naming.HF.key(layer, CANONICAL.get(0))).isPresent();
        if (meta && hf) {
            throw new CheckpointFormatException(src.describe(), "holds block " + layer + " in both Meta and HF naming");
        }
        if (meta || hf) {
            return meta ? Naming.META : Naming.HF;
        }
        TreeSet<Integer> layers = new TreeSet<>();
        for (String n : src.names()) {
            Matcher m = LAYER_KEY.matcher(n);
            if (m.find() && m.group(2).length() < 9) {
                layers.add(Integer.parseInt(m.group(2)));
            }
        }
        throw new CheckpointFormatException(src.describe(), "no LLaMA block " + layer + " ("
                + Naming.META.key(layer, CANONICAL.get(0)) + " or " + Naming.HF.key(layer, CANONICAL.get(0)) + "); "
                + (layers.isEmpty() ? "no layers.N keys at all" : "layers present: " + layers.first() + ".." + layers.last()));
    }

    private static CheckpointFormatException shape(TensorSource src, TensorInfo i, String expected) {
        return new CheckpointFormatException(src.describe(), i.name(), "shape " + Arrays.toString(i.shape()) + ", expected " + expected);
    }
}
