package dev.medseg.model;

import dev.medseg.model.nn.BroadcastAdd;
import dev.medseg.model.nn.CupDecoder;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.nn.Layers;
import dev.medseg.model.nn.LlamaBlock;
import dev.medseg.model.nn.ResNetV2;
import dev.medseg.model.nn.VitEncoder;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

import java.util.List;

import static dev.medseg.model.nn.Graph.Init.*;

/**
 * TransUNet (R50-ViT-B/16 or ViT-B/16) and LLM-TransUNet as one SameDiff graph, read top to bottom like the paper's
 * figure: ResNet features → patch embedding + positions → ViT blocks → [Linear → frozen LLaMA block → Linear] →
 * encoder norm → CUP decoder with skips → segmentation head.
 *
 * <p>Inputs: placeholder {@value #INPUT} (B, C, S, S). Output: {@value #LOGITS} (B, numClasses, S, S).
 */
public final class TransUNet {
    public static final String INPUT = "image";
    public static final String LOGITS = "logits";
    /** LLM-TransUNet: the frozen block's output tokens (B·N, llm.dim), before mapper2 (for inspection). */
    public static final String LLM_OUTPUT = "transformer.llama.output";

    private TransUNet() {}

    /** Builds the forward graph into {@code g}; returns the logits variable. */
    public static SDVariable build(Graph g, ModelConfig c) {
        long batch = g.training() ? g.batch() : -1;
        int s = c.imageSize();
        return build(g, c, g.sd().placeHolder(INPUT, g.dtype(), batch, c.inChannels(), s, s));
    }

    /** Builds the graph on a given input variable (B, C, S, S); gradient checks pass a variable here. */
    public static SDVariable build(Graph g, ModelConfig c, SDVariable x) {
        SameDiff sd = g.sd();
        int s = c.imageSize(), grid = c.gridSize(), n = grid * grid, d = c.vit().hidden();
        long batch = g.training() ? g.batch() : -1;
        if (c.inChannels() == 1) x = sd.concat(1, x, x, x); // the reference repeats gray inputs to 3 channels
        int channels = c.inChannels() == 1 ? 3 : c.inChannels();

        // Encoder: ResNet features (hybrid) or raw patches, as (B, D, grid, grid).
        List<ResNetV2.Feature> skips = List.of();
        SDVariable patches;
        if (c.encoder() == ModelConfig.Encoder.R50_VIT) {
            if (channels != 3) throw new IllegalArgumentException("the R50 stem takes 1 or 3 input channels, got " + channels);
            ResNetV2.Features f = ResNetV2.apply(g, x, s, c.resnetWidth(), c.resnetUnits());
            skips = f.skips();
            patches = Layers.conv(g, "transformer.embeddings.patch_embeddings", f.last().x(), f.last().channels(), d,
                    1, 1, 0, true, false);
        } else {
            int p = c.vit().patchSize();
            patches = Layers.conv(g, "transformer.embeddings.patch_embeddings", x, channels, d, p, p, 0, true, false);
        }
        // (B, D, g, g) → (B, N, D) row-major tokens + learned positions → (B·N, D)
        SDVariable tokens = BroadcastAdd.of(g.sd(), patches.reshape(-1, d, n).permute(0, 2, 1),
                g.param("transformer.embeddings.position_embeddings", ZEROS, d, d, 1, n, d), true, 0).reshape(-1, d);
        tokens = g.dropout(tokens, c.vit().dropout(), batch * n, d);
        tokens = VitEncoder.apply(g, tokens, c.vit(), n);

        String encoderNorm = "transformer.encoder.encoder_norm";
        if (c.llm().isPresent()) {
            // LLM-TransUNet: mapper1 → LLaMA block (+ final RMSNorm) → mapper2, then the encoder norm that the
            // reference moved behind the LLM (hence its key transformer.encoder_norm). No outer residual by default.
            ModelConfig.Llm l = c.llm().get();
            SDVariable up = Layers.linear(g, "transformer.llama_dim_mapper1", tokens, d, l.dim(), false, UNIFORM_FAN_IN);
            SDVariable llm = LlamaBlock.apply(g, "transformer.llama.", up, l, n);
            // A side branch for inspection, not a rename: the block's last node keeps the name its gradient override
            // is keyed on; nothing in training asks for this one, so it never runs there.
            sd.identity(LLM_OUTPUT, llm);
            if (l.outerResidual()) llm = BroadcastAdd.residual(g.sd(), llm, up);
            tokens = Layers.linear(g, "transformer.llama_dim_mapper2", llm, l.dim(), d, false, UNIFORM_FAN_IN);
            encoderNorm = "transformer.encoder_norm";
        }
        tokens = Layers.layerNorm(g, encoderNorm, tokens, d, 1e-6);

        SDVariable y = CupDecoder.apply(g, tokens, d, grid, skips, c.skips(), c.decoderChannels(), c.decoderBatchNorm());
        int last = c.decoderChannels().get(3);
        y = Layers.conv(g, "segmentation_head.0", y, last, c.numClasses(), 3, 1, 1, true, false);
        return sd.identity(LOGITS, y);
    }
}
