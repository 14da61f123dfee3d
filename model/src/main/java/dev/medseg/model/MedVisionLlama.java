package dev.medseg.model;

import dev.medseg.model.nn.BroadcastAdd;
import dev.medseg.model.nn.FusionBlock;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.nn.HybridVitEncoder;
import dev.medseg.model.nn.Layers;
import dev.medseg.model.nn.LlamaBlock;
import dev.medseg.model.nn.LoraLinear;
import dev.medseg.model.nn.ProgressiveDecoder;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static dev.medseg.model.nn.Graph.Init.*;

/**
 * MedVisionLlama (Kumar/Marthi et al., arXiv 2410.02458; model-spec §3) on 2-D slices, as one SameDiff graph.
 * The released code is 3-D and has neither hybrid attention nor a fusion block, and the v1 paper names them
 * without defining them, so what follows is the exact design this project chose:
 *
 * <ol>
 * <li><b>Patch embedding</b>: Conv p×p stride p (p = vit.patchSize), C → D with bias, on the input's own channels
 *     (no gray→RGB repeat: there are no ImageNet weights to match); {@code transformer.embeddings.patch_embeddings}.
 *     Tokens row-major over the g×g grid, g = S/p.</li>
 * <li><b>Positions</b>: learned (1, N, D), {@code transformer.embeddings.position_embeddings}, initialised N(0, 0.02²)
 *     (timm's ViT convention; the released code's N(0,1) swamps D-wide patch features at init), then dropout.</li>
 * <li><b>Encoder</b>: vit.layers pre-LN blocks ({@code transformer.encoder.layer.i.*}, LayerNorm eps 1e-6). With
 *     mvl.hybridAttention the attention sublayer is {@link dev.medseg.model.nn.HybridAttention}:
 *     σ(a)⊙MHSA(x) + (1−σ(a))⊙Linear(DWConv_k×k(grid(x))), a = 0 at init; else MHSA. MLP D→mlpDim→D, exact GELU.</li>
 * <li><b>Frozen LLM block</b> (when model.llm is set): mapper1 D→L, the frozen LLaMA-family block
 *     ({@code transformer.llama.layers.0.*}, MHA or GQA, no RoPE, no mask, then the unit-weight final RMSNorm if
 *     llm.finalNorm), ALWAYS with the released code's outer residual {@code u + llm(u)} (llm.outerResidual is not
 *     consulted), mapper2 L→D. Mappers {@code transformer.llama_dim_mapper1|2}: {@code linear} = Linear without
 *     bias (U(±1/√in)), {@code lora} = {@link LoraLinear} (frozen random base, trainable bias/lora_A/lora_B, alpha/r).
 *     Position {@code after-encoder} (paper figure): embed + PE → encoder → mappers/LLM. Position
 *     {@code after-embedding} (released code): embed → mappers/LLM → + PE → encoder.</li>
 * <li><b>Multi-scale fusion</b> ({@link FusionBlock}, {@code fusion.*}) when mvl.fusionLayers is not empty: sources are
 *     the outputs of the listed encoder blocks (ascending, 1-based) followed by the final tokens (mapper2's output for
 *     after-encoder, else the last block's output, which is not repeated if it is listed); each LayerNorm → 1×1 to D,
 *     concatenated, GELU, 1×1 fuse to D. With an empty list the final tokens go through LayerNorm
 *     {@code transformer.encoder_norm} (eps 1e-6) instead.</li>
 * <li><b>Decoder</b> ({@link ProgressiveDecoder}): log2(p) stages of bilinear ×2 (align corners) + two 3×3 Conv+ReLU,
 *     widths the last log2(p) entries of decoder.channels (p must be 2, 4, 8 or 16); BatchNorm after each conv
 *     only if decoder.batchNorm (else the convs have a bias and the loss decomposes per sample). Head: 3×3 conv to
 *     numClasses with bias, {@code segmentation_head.0}. Logits out; sigmoid/softmax live in the loss.</li>
 * </ol>
 * With model.llm absent (the paper's ViT ablation) step 4 is skipped and nothing else changes.
 *
 * <p>Input placeholder {@value TransUNet#INPUT} (B, C, S, S); output {@value TransUNet#LOGITS} (B, numClasses, S, S).
 */
public final class MedVisionLlama {
    private MedVisionLlama() {}

    /** Builds the forward graph into {@code g} on a new input placeholder; returns the logits (B, numClasses, S, S). */
    public static SDVariable build(Graph g, ModelConfig c) {
        long batch = g.training() ? g.batch() : -1;
        int s = c.imageSize();
        return build(g, c, g.sd().placeHolder(TransUNet.INPUT, g.dtype(), batch, c.inChannels(), s, s));
    }

    /** Builds the graph on a given input variable (B, C, S, S); gradient checks pass a variable here. */
    public static SDVariable build(Graph g, ModelConfig c, SDVariable x) {
        ModelConfig.Mvl m = options(c);
        List<Integer> widths = decoderWidths(c);
        SameDiff sd = g.sd();
        ModelConfig.Vit v = c.vit();
        int p = v.patchSize(), grid = c.gridSize(), n = grid * grid, d = v.hidden();
        long batch = g.training() ? g.batch() : -1;
        boolean llmFirst = c.llm().isPresent() && m.llmPosition().equals("after-embedding");

        SDVariable patches = Layers.conv(g, "transformer.embeddings.patch_embeddings", x, c.inChannels(), d, p, p, 0, true, false);
        SDVariable tokens = patches.reshape(-1, d, n).permute(0, 2, 1); // (B, N, D), row-major
        if (llmFirst) tokens = llm(g, c, m, tokens.reshape(-1, d), n).reshape(-1, n, d);
        tokens = BroadcastAdd.of(g.sd(), tokens, g.param("transformer.embeddings.position_embeddings", NORMAL_002, d, d, 1, n, d),
                true, 0).reshape(-1, d);
        tokens = g.dropout(tokens, v.dropout(), batch * n, d);

        List<SDVariable> blocks = HybridVitEncoder.apply(g, tokens, v, grid, m.hybridAttention(), m.localKernel());
        SDVariable last = blocks.isEmpty() ? tokens : blocks.get(blocks.size() - 1);
        boolean llmAfter = c.llm().isPresent() && !llmFirst;
        SDVariable fin = llmAfter ? llm(g, c, m, last, n) : last;

        SDVariable features;
        if (m.fusionLayers().isEmpty()) {
            features = Layers.layerNorm(g, "transformer.encoder_norm", fin, d, 1e-6);
        } else {
            List<SDVariable> sources = new ArrayList<>();
            for (int l : fusionDepths(c)) sources.add(blocks.get(l - 1));
            if (llmAfter || !m.fusionLayers().contains(v.layers())) sources.add(fin);
            features = FusionBlock.apply(g, "fusion", sources, d);
        }
        SDVariable y = ProgressiveDecoder.apply(g, features, d, grid, widths, c.decoderBatchNorm());
        y = Layers.conv(g, "segmentation_head.0", y, widths.get(widths.size() - 1), c.numClasses(), 3, 1, 1, true, false);
        return sd.identity(TransUNet.LOGITS, y);
    }

    /** mapper1 → frozen block + outer residual → mapper2, on (B·N, D) tokens. */
    private static SDVariable llm(Graph g, ModelConfig c, ModelConfig.Mvl m, SDVariable tokens, int n) {
        ModelConfig.Llm l = c.llm().orElseThrow();
        int d = c.vit().hidden();
        SDVariable up = adapter(g, m, "transformer.llama_dim_mapper1", tokens, d, l.dim());
        SDVariable refined = BroadcastAdd.residual(g.sd(), LlamaBlock.apply(g, "transformer.llama.", up, l, n), up);
        return adapter(g, m, "transformer.llama_dim_mapper2", refined, l.dim(), d);
    }

    private static SDVariable adapter(Graph g, ModelConfig.Mvl m, String name, SDVariable x, int in, int out) {
        return m.adapters().equals("lora")
                ? LoraLinear.apply(g, name, x, in, out, m.loraRank(), m.loraAlpha())
                : Layers.linear(g, name, x, in, out, false, UNIFORM_FAN_IN);
    }

    /**
     * Trainable parameters of the model {@code c} describes, from the shapes alone (frozen LLM and LoRA base
     * weights and BatchNorm running statistics excluded).
     */
    public static long trainableParameters(ModelConfig c) {
        ModelConfig.Mvl m = options(c);
        ModelConfig.Vit v = c.vit();
        long d = v.hidden(), p = v.patchSize(), n = (long) c.gridSize() * c.gridSize();
        long total = p * p * c.inChannels() * d + d + n * d;
        total += v.layers() * HybridVitEncoder.blockParameters(v, m.hybridAttention(), m.localKernel());
        if (c.llm().isPresent()) {
            int l = c.llm().get().dim();
            total += m.adapters().equals("lora")
                    ? LoraLinear.trainableParameters(v.hidden(), l, m.loraRank()) + LoraLinear.trainableParameters(l, v.hidden(), m.loraRank())
                    : 2 * d * l;
        }
        if (m.fusionLayers().isEmpty()) {
            total += 2 * d;
        } else {
            boolean llmAfter = c.llm().isPresent() && m.llmPosition().equals("after-encoder");
            int k = fusionDepths(c).size() + (llmAfter || !m.fusionLayers().contains(v.layers()) ? 1 : 0);
            total += FusionBlock.parameters(k, v.hidden());
        }
        List<Integer> widths = decoderWidths(c);
        total += ProgressiveDecoder.parameters(v.hidden(), widths, c.decoderBatchNorm());
        total += 9L * widths.get(widths.size() - 1) * c.numClasses() + c.numClasses();
        return total;
    }

    private static ModelConfig.Mvl options(ModelConfig c) {
        return c.mvl().orElseThrow(() -> new IllegalArgumentException("not a MedVisionLlama config (model.mvl is absent)"));
    }

    /** The listed fusion depths, ascending, without repeats. */
    private static List<Integer> fusionDepths(ModelConfig c) {
        return List.copyOf(new TreeSet<>(c.mvl().orElseThrow().fusionLayers()));
    }

    /** Decoder widths: the last log2(patch) entries of decoder.channels. */
    private static List<Integer> decoderWidths(ModelConfig c) {
        int p = c.vit().patchSize();
        int stages = Integer.numberOfTrailingZeros(p);
        if (Integer.bitCount(p) != 1 || stages < 1 || stages > c.decoderChannels().size()) {
            throw new IllegalArgumentException("MedVisionLlama upsamples by x2 stages: vit.patchSize must be 2, 4, 8 or 16, got " + p);
        }
        List<Integer> ch = c.decoderChannels();
        return ch.subList(ch.size() - stages, ch.size());
    }
}
