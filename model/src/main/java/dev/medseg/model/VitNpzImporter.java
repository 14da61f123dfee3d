package dev.medseg.model;

import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.io.TensorInfo;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.nn.Graph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imports Google's ImageNet-21k ViT checkpoints ({@code R50+ViT-B_16.npz}, {@code ViT-B_16.npz}) into the encoder of a
 * TransUNet / LLM-TransUNet graph, with the key mapping, layouts and position-embedding resize of the reference's
 * {@code VisionTransformer.load_from} and {@code PreActBottleneck.load_from}.
 *
 * <p>Layouts: npz conv kernels are HWIO like our graph (copied as they are); dense kernels are (in, out) and q/k/v
 * kernels (hidden, heads, head_dim), both become our [out, in]; the attention out kernel (heads, head_dim, hidden)
 * likewise; q/k/v biases (heads, head_dim) are flattened. The decoder, segmentation head, LLM adapters, the LLaMA
 * block and BatchNorm buffers are not in these checkpoints and keep their values.
 */
public final class VitNpzImporter {
    /** How an incomplete or over-complete checkpoint is treated. Shape mismatches are always errors. */
    public enum Mode {
        /** Every encoder tensor must be in the npz, and every npz tensor must be used (classifier keys excepted). */
        STRICT,
        /** Load what matches; list the rest in the {@link Result}. */
        LENIENT
    }

    /** What was done to the position embedding, as the reference decides it from the token counts. */
    public enum PositionEmbedding {
        /** Same token count: copied. */
        COPIED,
        /** One token more (the cls entry; 197 → 196 at 224 px): the first entry dropped. */
        CLS_DROPPED,
        /** Otherwise: cls dropped, grid resized by align-corners linear interpolation (14×14 → 16×16 at 256 px). */
        RESIZED
    }

    /**
     * The outcome of an import.
     *
     * @param loaded          our variable names that received a tensor from the npz
     * @param missing         our encoder variables whose npz tensor was absent (LENIENT only; kept their init)
     * @param notInCheckpoint our variables these checkpoints never hold (decoder, head, adapters, LLM, buffers)
     * @param unused          npz tensors nothing used (LENIENT only), excluding {@code ignored}
     * @param ignored         npz tensors the reference skips too: the classifier ({@code cls}, {@code head/*},
     *                        {@code pre_logits/*})
     * @param positions       how the position embedding was adapted, or null if it was not loaded
     * @param sourceGrid      the npz's position grid side (without cls), 0 if not loaded
     * @param targetGrid      the model's grid side, 0 if not loaded
     */
    public record Result(List<String> loaded, List<String> missing, List<String> notInCheckpoint, List<String> unused,
                         List<String> ignored, PositionEmbedding positions, int sourceGrid, int targetGrid) {
        public Result {
            loaded = List.copyOf(loaded);
            missing = List.copyOf(missing);
            notInCheckpoint = List.copyOf(notInCheckpoint);
            unused = List.copyOf(unused);
            ignored = List.copyOf(ignored);
        }

        /** One line for logs: counts, the position-embedding handling, and the missing/unused names. */
        public String summary() {
            StringBuilder s = new StringBuilder("loaded ").append(loaded.size()).append(" encoder tensors");
            if (positions != null) {
                s.append("; position embedding ").append(positions.name().toLowerCase().replace('_', ' '));
                if (positions == PositionEmbedding.RESIZED) s.append(' ').append(sourceGrid).append('x').append(sourceGrid)
                        .append(" -> ").append(targetGrid).append('x').append(targetGrid);
            }
            s.append("; ").append(notInCheckpoint.size()).append(" not in checkpoint (decoder/head/adapters keep their init)");
            s.append("; ").append(ignored.size()).append(" classifier tensors skipped");
            if (!missing.isEmpty()) s.append("; MISSING ").append(missing);
            if (!unused.isEmpty()) s.append("; UNUSED ").append(unused);
            return s.toString();
        }
    }

    /** How an npz tensor becomes ours. */
    private enum Layout { SAME, VECTOR, DENSE, QKV_KERNEL, OUT_KERNEL, HEADS_BIAS, POSITIONS }

    private record Source(String key, Layout layout) {}

    private static final String POSITIONS = "transformer.embeddings.position_embeddings";
    private static final String LAYER = "transformer\\.encoder\\.layer\\.(\\d+)\\.";
    private static final String UNIT = "transformer\\.embeddings\\.hybrid_model\\.body\\.block(\\d+)\\.unit(\\d+)\\.";
    private static final List<Map.Entry<Pattern, Source>> RULES = List.of(
            rule("transformer\\.embeddings\\.patch_embeddings\\.weight", "embedding/kernel", Layout.SAME),
            rule("transformer\\.embeddings\\.patch_embeddings\\.bias", "embedding/bias", Layout.VECTOR),
            rule(Pattern.quote(POSITIONS), "Transformer/posembed_input/pos_embedding", Layout.POSITIONS),
            // LLM-TransUNet moved the encoder norm behind the LLM (transformer.encoder_norm); same npz tensor.
            rule("transformer\\.(?:encoder\\.)?encoder_norm\\.weight", "Transformer/encoder_norm/scale", Layout.VECTOR),
            rule("transformer\\.(?:encoder\\.)?encoder_norm\\.bias", "Transformer/encoder_norm/bias", Layout.VECTOR),
            rule(LAYER + "attention_norm\\.weight", "Transformer/encoderblock_$1/LayerNorm_0/scale", Layout.VECTOR),
            rule(LAYER + "attention_norm\\.bias", "Transformer/encoderblock_$1/LayerNorm_0/bias", Layout.VECTOR),
            rule(LAYER + "ffn_norm\\.weight", "Transformer/encoderblock_$1/LayerNorm_2/scale", Layout.VECTOR),
            rule(LAYER + "ffn_norm\\.bias", "Transformer/encoderblock_$1/LayerNorm_2/bias", Layout.VECTOR),
            rule(LAYER + "attn\\.(query|key|value)\\.weight", "Transformer/encoderblock_$1/MultiHeadDotProductAttention_1/$2/kernel", Layout.QKV_KERNEL),
            rule(LAYER + "attn\\.(query|key|value)\\.bias", "Transformer/encoderblock_$1/MultiHeadDotProductAttention_1/$2/bias", Layout.HEADS_BIAS),
            rule(LAYER + "attn\\.out\\.weight", "Transformer/encoderblock_$1/MultiHeadDotProductAttention_1/out/kernel", Layout.OUT_KERNEL),
            rule(LAYER + "attn\\.out\\.bias", "Transformer/encoderblock_$1/MultiHeadDotProductAttention_1/out/bias", Layout.VECTOR),
            rule(LAYER + "ffn\\.fc1\\.weight", "Transformer/encoderblock_$1/MlpBlock_3/Dense_0/kernel", Layout.DENSE),
            rule(LAYER + "ffn\\.fc1\\.bias", "Transformer/encoderblock_$1/MlpBlock_3/Dense_0/bias", Layout.VECTOR),
            rule(LAYER + "ffn\\.fc2\\.weight", "Transformer/encoderblock_$1/MlpBlock_3/Dense_1/kernel", Layout.DENSE),
            rule(LAYER + "ffn\\.fc2\\.bias", "Transformer/encoderblock_$1/MlpBlock_3/Dense_1/bias", Layout.VECTOR),
            rule("transformer\\.embeddings\\.hybrid_model\\.root\\.conv\\.weight", "conv_root/kernel", Layout.SAME),
            rule("transformer\\.embeddings\\.hybrid_model\\.root\\.gn\\.weight", "gn_root/scale", Layout.VECTOR),
            rule("transformer\\.embeddings\\.hybrid_model\\.root\\.gn\\.bias", "gn_root/bias", Layout.VECTOR),
            rule(UNIT + "(conv1|conv2|conv3)\\.weight", "block$1/unit$2/$3/kernel", Layout.SAME),
            rule(UNIT + "downsample\\.weight", "block$1/unit$2/conv_proj/kernel", Layout.SAME),
            rule(UNIT + "(gn1|gn2|gn3|gn_proj)\\.weight", "block$1/unit$2/$3/scale", Layout.VECTOR),
            rule(UNIT + "(gn1|gn2|gn3|gn_proj)\\.bias", "block$1/unit$2/$3/bias", Layout.VECTOR));

    private static final Pattern IGNORED = Pattern.compile("cls|(head|pre_logits)/.*");

    private VitNpzImporter() {}

    private static Map.Entry<Pattern, Source> rule(String ours, String npz, Layout layout) {
        return Map.entry(Pattern.compile(ours), new Source(npz, layout));
    }

    /**
     * Loads the encoder of {@code g} (built by {@link TransUNet#build}) from the npz {@code src}.
     *
     * @throws CheckpointFormatException naming the file and tensor on a shape mismatch, or, in STRICT mode, when an
     *                                   encoder tensor is missing or an npz tensor would go unused
     */
    public static Result load(Graph g, TensorSource src, Mode mode) {
        Map<String, long[]> ours = new LinkedHashMap<>(g.trainable());
        Map<String, Source> plan = new LinkedHashMap<>();
        List<String> notInCheckpoint = new ArrayList<>();
        for (String name : ours.keySet()) {
            Source s = sourceOf(name);
            if (s == null) notInCheckpoint.add(name); else plan.put(name, s);
        }
        notInCheckpoint.addAll(g.frozen().keySet());
        notInCheckpoint.addAll(g.buffers().keySet());

        List<String> missing = new ArrayList<>();
        for (var e : plan.entrySet()) if (src.info(e.getValue().key()).isEmpty()) missing.add(e.getKey() + " <- " + e.getValue().key());
        Set<String> used = new LinkedHashSet<>();
        for (Source s : plan.values()) used.add(s.key());
        List<String> ignored = new ArrayList<>(), unused = new ArrayList<>();
        for (String k : src.names()) {
            if (IGNORED.matcher(k).matches()) ignored.add(k); else if (!used.contains(k)) unused.add(k);
        }
        if (mode == Mode.STRICT && (!missing.isEmpty() || !unused.isEmpty())) {
            StringBuilder m = new StringBuilder("does not fit the model config (strict ViT npz import):");
            if (!missing.isEmpty()) m.append(' ').append(missing.size()).append(" encoder tensors missing, e.g. ").append(head(missing));
            if (!unused.isEmpty()) m.append(' ').append(unused.size()).append(" npz tensors unused, e.g. ").append(head(unused));
            throw new CheckpointFormatException(src.describe(), m.append(" (is this the right npz for the encoder: R50+ViT vs ViT, layers, ResNet units?)").toString());
        }

        List<String> loaded = new ArrayList<>();
        PositionEmbedding positions = null;
        int sourceGrid = 0, targetGrid = 0;
        for (var e : plan.entrySet()) {
            String name = e.getKey();
            Source s = e.getValue();
            if (src.info(s.key()).isEmpty()) continue;
            long[] shape = ours.get(name);
            float[] value;
            if (s.layout() == Layout.POSITIONS) {
                TensorInfo info = src.require(s.key());
                long[] t = info.shape();
                if (shape.length != 3 || t.length != 3 || t[0] != 1 || t[2] != shape[2]) {
                    throw mismatch(src, s.key(), t, name, shape, "(1, tokens, hidden)");
                }
                int have = Math.toIntExact(t[1]), want = Math.toIntExact(shape[1]), dim = Math.toIntExact(shape[2]);
                targetGrid = (int) Math.round(Math.sqrt(want));
                float[] raw = src.readFloat(s.key());
                if (have == want) {
                    positions = PositionEmbedding.COPIED;
                    sourceGrid = targetGrid;
                    value = raw;
                } else if (have - 1 == want) {
                    positions = PositionEmbedding.CLS_DROPPED;
                    sourceGrid = targetGrid;
                    value = Arrays.copyOfRange(raw, dim, raw.length);
                } else {
                    sourceGrid = (int) Math.round(Math.sqrt(have - 1));
                    if ((long) sourceGrid * sourceGrid != have - 1 || (long) targetGrid * targetGrid != want) {
                        throw new CheckpointFormatException(src.describe(), s.key(), "has " + have + " tokens: neither "
                                + want + " nor cls + a square grid, so it cannot be resized to the model's " + want + " tokens");
                    }
                    positions = PositionEmbedding.RESIZED;
                    value = resizeGrid(Arrays.copyOfRange(raw, dim, raw.length), sourceGrid, targetGrid, dim);
                }
            } else {
                value = convert(src, s, name, shape);
            }
            INDArray target = g.sd().getArrForVarName(name);
            target.assign(Nd4j.create(value, shape, 'c').castTo(target.dataType()));
            loaded.add(name);
        }
        return new Result(loaded, missing, notInCheckpoint, unused, ignored, positions, sourceGrid, targetGrid);
    }

    /** The npz tensor and layout our variable {@code name} comes from, or null if these checkpoints never hold it. */
    static Source sourceOf(String name) {
        for (var r : RULES) {
            Matcher m = r.getKey().matcher(name);
            if (m.matches()) return new Source(m.replaceFirst(r.getValue().key()), r.getValue().layout());
        }
        return null;
    }

    /** Reads {@code s} and rearranges it into our layout {@code ours}, after checking its declared shape. */
    private static float[] convert(TensorSource src, Source s, String name, long[] ours) {
        long[] t = src.require(s.key()).shape();
        switch (s.layout()) {
            case SAME -> {
                if (!Arrays.equals(t, ours)) throw mismatch(src, s.key(), t, name, ours, "HWIO, as ours");
                return src.readFloat(s.key());
            }
            case VECTOR -> { // flax vectors are (C,); the reference's view(-1) also accepts (1, .., 1, C)
                boolean ok = ours.length == 1 && t.length >= 1 && t[t.length - 1] == ours[0];
                for (int i = 0; i < t.length - 1 && ok; i++) ok = t[i] == 1;
                if (!ok) throw mismatch(src, s.key(), t, name, ours, "(C,)");
                return src.readFloat(s.key());
            }
            case HEADS_BIAS -> {
                if (ours.length != 1 || t.length != 2 || t[0] * t[1] != ours[0]) throw mismatch(src, s.key(), t, name, ours, "(heads, head_dim)");
                return src.readFloat(s.key());
            }
            case DENSE -> {
                if (ours.length != 2 || t.length != 2 || t[0] != ours[1] || t[1] != ours[0]) throw mismatch(src, s.key(), t, name, ours, "(in, out)");
                return transpose(src.readFloat(s.key()), (int) t[0], (int) t[1]);
            }
            case QKV_KERNEL -> {
                if (ours.length != 2 || ours[0] != ours[1] || t.length != 3 || t[0] != ours[1] || t[1] * t[2] != ours[0]) {
                    throw mismatch(src, s.key(), t, name, ours, "(hidden, heads, head_dim)");
                }
                return transpose(src.readFloat(s.key()), (int) ours[1], (int) ours[0]);
            }
            case OUT_KERNEL -> {
                if (ours.length != 2 || ours[0] != ours[1] || t.length != 3 || t[0] * t[1] != ours[1] || t[2] != ours[0]) {
                    throw mismatch(src, s.key(), t, name, ours, "(heads, head_dim, hidden)");
                }
                return transpose(src.readFloat(s.key()), (int) ours[1], (int) ours[0]);
            }
            default -> throw new IllegalStateException(s.layout().name());
        }
    }

    private static CheckpointFormatException mismatch(TensorSource src, String key, long[] theirs, String name, long[] ours,
                                                      String layout) {
        return new CheckpointFormatException(src.describe(), key, "has shape " + Arrays.toString(theirs) + " but "
                + name + " " + Arrays.toString(ours) + " needs a matching " + layout + " tensor (different model config?)");
    }

    /** A (rows, cols) row-major matrix transposed to (cols, rows). */
    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }

    /**
     * Resizes a row-major (from, from, dim) grid of embeddings to (to, to, dim) like {@code scipy.ndimage.zoom(order=1)}
     * with its default {@code grid_mode=False}: output index o samples input coordinate o·(from−1)/(to−1), linearly
     * interpolated, so the corners stay put. Computed in double, rounded once to float.
     */
    public static float[] resizeGrid(float[] grid, int from, int to, int dim) {
        if (from < 1 || to < 1 || dim < 1 || grid.length != (long) from * from * dim) {
            throw new IllegalArgumentException("grid of " + grid.length + " values is not " + from + "x" + from + "x" + dim);
        }
        int[] lo = new int[to];
        double[] frac = new double[to];
        double scale = to > 1 ? (from - 1) / (double) (to - 1) : 0;
        for (int o = 0; o < to; o++) {
            double x = o * scale;
            lo[o] = Math.min((int) Math.floor(x), from - 1);
            frac[o] = x - lo[o];
        }
        float[] out = new float[to * to * dim];
        for (int i = 0; i < to; i++) {
            int i0 = lo[i], i1 = Math.min(i0 + 1, from - 1);
            for (int j = 0; j < to; j++) {
                int j0 = lo[j], j1 = Math.min(j0 + 1, from - 1);
                double fi = frac[i], fj = frac[j];
                for (int d = 0; d < dim; d++) {
                    double a = grid[(i0 * from + j0) * dim + d], b = grid[(i0 * from + j1) * dim + d];
                    double c = grid[(i1 * from + j0) * dim + d], e = grid[(i1 * from + j1) * dim + d];
                    out[(i * to + j) * dim + d] = (float) ((1 - fi) * ((1 - fj) * a + fj * b) + fi * ((1 - fj) * c + fj * e));
                }
            }
        }
        return out;
    }

    private static List<String> head(List<String> l) {
        return l.subList(0, Math.min(5, l.size()));
    }
}
