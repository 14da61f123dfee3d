package dev.medseg.model;

import java.util.List;
import java.util.Optional;

/**
 * Everything that fixes the shape of a segmentation model. Named presets follow the reference configs
 * (TransUNet's {@code get_r50_b16_config}); {@link #testing} is a tiny model with the same topology.
 *
 * @param encoder        R50_VIT (ResNet hybrid + ViT, TransUNet) or VIT (ViT on image patches)
 * @param imageSize      input side in pixels, a multiple of 16
 * @param inChannels     channels of the data; 1 is repeated to 3 inside the model like the reference
 * @param numClasses     output channels: classes incl. background (softmax) or 1 (binary, sigmoid)
 * @param vit            the transformer encoder
 * @param resnetWidth    stem width (64 for width factor 1)
 * @param resnetUnits    bottleneck units per stage; (3, 4, 9) for R50-ViT
 * @param decoderChannels CUP decoder block widths, 4 entries
 * @param skips          how many ResNet features are used as skips (n_skip); 0..3
 * @param llm            the frozen LLaMA-family block, absent for the baseline
 * @param decoderBatchNorm the reference's BatchNorm in the decoder's Conv2dReLU blocks; false replaces it with the
 *                       identity (not in the reference: it makes the loss decompose over samples, which exact
 *                       parameter-averaging identities and batch-size-1 training need)
 * @param mvl            present = the MedVisionLlama architecture (ViT + frozen LLM block + hybrid attention +
 *                       multi-scale fusion) instead of TransUNet; it uses {@code vit}, {@code llm}, sizes and classes
 */
public record ModelConfig(Encoder encoder, int imageSize, int inChannels, int numClasses, Vit vit,
                          int resnetWidth, List<Integer> resnetUnits, List<Integer> decoderChannels, int skips,
                          Optional<Llm> llm, boolean decoderBatchNorm, Optional<Mvl> mvl) {

    /** The reference model (decoder BatchNorm on). */
    public ModelConfig(Encoder encoder, int imageSize, int inChannels, int numClasses, Vit vit, int resnetWidth,
                       List<Integer> resnetUnits, List<Integer> decoderChannels, int skips, Optional<Llm> llm) {
        this(encoder, imageSize, inChannels, numClasses, vit, resnetWidth, resnetUnits, decoderChannels, skips, llm,
                true, Optional.empty());
    }

    /** A TransUNet (no MedVisionLlama options). */
    public ModelConfig(Encoder encoder, int imageSize, int inChannels, int numClasses, Vit vit, int resnetWidth,
                       List<Integer> resnetUnits, List<Integer> decoderChannels, int skips, Optional<Llm> llm,
                       boolean decoderBatchNorm) {
        this(encoder, imageSize, inChannels, numClasses, vit, resnetWidth, resnetUnits, decoderChannels, skips, llm,
                decoderBatchNorm, Optional.empty());
    }

    /**
     * MedVisionLlama's own parts (model-spec §3; the paper's v1 text leaves hybrid attention and the fusion block
     * open, so their exact design is documented in {@code MedVisionLlama}).
     *
     * @param hybridAttention each encoder block adds a local branch to global self-attention, fused by a learned gate
     * @param localKernel     side of the local branch's window over the token grid (odd)
     * @param fusionLayers    1-based encoder blocks whose outputs the multi-scale fusion block aggregates (with the
     *                        LLM-refined tokens); empty = no fusion block
     * @param adapters        {@code linear} (plain Linear, no bias) or {@code lora} (frozen random base + LoRA, as
     *                        the released code's loralib.Linear)
     * @param loraRank        LoRA rank r
     * @param loraAlpha       LoRA alpha (scaling alpha / r)
     * @param llmPosition     {@code after-encoder} (the paper's figure) or {@code after-embedding} (the released code)
     */
    public record Mvl(boolean hybridAttention, int localKernel, List<Integer> fusionLayers, String adapters,
                      int loraRank, double loraAlpha, String llmPosition) {
        public Mvl {
            require(localKernel > 0 && localKernel % 2 == 1, "mvl.localKernel must be odd and positive");
            require(adapters.equals("linear") || adapters.equals("lora"), "mvl.adapters must be linear or lora");
            require(loraRank > 0 && loraAlpha > 0, "mvl.loraRank and mvl.loraAlpha must be positive");
            require(llmPosition.equals("after-encoder") || llmPosition.equals("after-embedding"),
                    "mvl.llmPosition must be after-encoder or after-embedding");
            fusionLayers = List.copyOf(fusionLayers);
        }
    }

    public enum Encoder { R50_VIT, VIT }

    /** ViT encoder sizes. */
    public record Vit(int hidden, int layers, int heads, int mlpDim, int patchSize, double dropout,
                      double attentionDropout) {
        public Vit {
            require(hidden > 0 && heads > 0 && hidden % heads == 0, "vit.hidden must be a positive multiple of vit.heads");
            require(layers >= 0 && mlpDim > 0 && patchSize > 0, "vit.layers >= 0, vit.mlpDim > 0, vit.patchSize > 0");
            require(dropout >= 0 && dropout < 1 && attentionDropout >= 0 && attentionDropout < 1, "dropout rates in [0, 1)");
        }
    }

    /**
     * A LLaMA-family decoder block used as a visual token processor: no rotary embedding, no mask.
     *
     * @param dim           model width (LLaMA-7B 4096)
     * @param heads         query heads (32)
     * @param kvHeads       key/value heads; fewer than heads = grouped-query attention (Llama 3: 8)
     * @param ffnDim        SwiGLU hidden width (11008; Llama-3.1-8B 14336)
     * @param normEps       RMSNorm epsilon (1e-6 LLaMA-1, 1e-5 Llama 3)
     * @param finalNorm     apply the model-level RMSNorm (unit weight) after the block, as the reference does
     * @param outerResidual x + block(x) instead of block(x)
     * @param storage       how the block's seven weight matrices are kept in memory (products always run in fp32)
     */
    public record Llm(int dim, int heads, int kvHeads, int ffnDim, double normEps, boolean finalNorm,
                      boolean outerResidual, WeightStorage storage) {
        public Llm {
            require(dim > 0 && heads > 0 && dim % heads == 0, "llm.dim must be a positive multiple of llm.heads");
            require(kvHeads > 0 && heads % kvHeads == 0, "llm.heads must be a multiple of llm.kvHeads");
            require(ffnDim > 0 && normEps > 0, "llm.ffnDim > 0 and llm.normEps > 0");
            require(storage != null, "llm.storage must be set");
        }

        /** A block whose weights are kept in fp32. */
        public Llm(int dim, int heads, int kvHeads, int ffnDim, double normEps, boolean finalNorm, boolean outerResidual) {
            this(dim, heads, kvHeads, ffnDim, normEps, finalNorm, outerResidual, WeightStorage.FLOAT32);
        }

        public int headDim() { return dim / heads; }

        /** The same block with its weight matrices kept as {@code s}. */
        public Llm withStorage(WeightStorage s) {
            return new Llm(dim, heads, kvHeads, ffnDim, normEps, finalNorm, outerResidual, s);
        }

        /** LLaMA-7B's block, as LLM-TransUNet uses its layer 31. */
        public static Llm llama7b() { return new Llm(4096, 32, 32, 11008, 1e-6, true, false); }

        /** Llama-3.1-8B's block (grouped-query attention, 8 KV heads), as MedVisionLlama's code uses it. */
        public static Llm llama31_8b() { return new Llm(4096, 32, 8, 14336, 1e-5, true, true); }
    }

    public ModelConfig {
        require(imageSize > 0 && imageSize % 16 == 0, "imageSize must be a positive multiple of 16, got " + imageSize);
        require(inChannels > 0, "inChannels must be positive");
        require(numClasses > 0, "numClasses must be positive");
        require(decoderChannels.size() == 4, "decoder.channels must have 4 entries, got " + decoderChannels);
        require(skips >= 0 && skips <= 3, "decoder.skips must be 0..3, got " + skips);
        if (encoder == Encoder.R50_VIT) {
            require(resnetUnits.size() == 3, "resnet.units must have 3 entries (one per stage), got " + resnetUnits);
            require(resnetUnits.stream().allMatch(u -> u > 0), "resnet.units must be positive");
            require(resnetWidth > 0 && resnetWidth % 32 == 0, "resnet.width must be a positive multiple of 32 (GroupNorm(32))");
        } else {
            require(imageSize % vit.patchSize() == 0, "imageSize must be a multiple of vit.patchSize");
            require(skips == 0, "a plain ViT encoder has no ResNet features: decoder.skips must be 0");
        }
        resnetUnits = List.copyOf(resnetUnits);
        decoderChannels = List.copyOf(decoderChannels);
        if (mvl.isPresent()) {
            require(encoder == Encoder.VIT, "MedVisionLlama uses a plain ViT encoder: set model.encoder = vit");
            for (int l : mvl.get().fusionLayers()) {
                require(l >= 1 && l <= vit.layers(), "mvl.fusionLayers entries must be in 1.." + vit.layers() + ", got " + l);
            }
        }
    }

    /** The same model as MedVisionLlama with these options (or TransUNet when null). */
    public ModelConfig withMvl(Mvl m) {
        return new ModelConfig(encoder, imageSize, inChannels, numClasses, vit, resnetWidth, resnetUnits,
                decoderChannels, skips, llm, decoderBatchNorm, Optional.ofNullable(m));
    }

    /** TransUNet R50-ViT-B/16 (105.3 M parameters at 256 with 9 classes). */
    public static ModelConfig r50ViTB16(int numClasses, int imageSize) {
        return new ModelConfig(Encoder.R50_VIT, imageSize, 1, numClasses,
                new Vit(768, 12, 12, 3072, 16, 0.1, 0.0), 64, List.of(3, 4, 9), List.of(256, 128, 64, 16), 3,
                Optional.empty());
    }

    /** LLM-TransUNet: R50-ViT-B/16 + LLaMA-7B's block between two linear adapters (314.0 M parameters). */
    public static ModelConfig llmTransUNet(int numClasses, int imageSize) {
        return r50ViTB16(numClasses, imageSize).withLlm(Llm.llama7b());
    }

    /** A tiny model with TransUNet's topology for tests and the quickstart. */
    public static ModelConfig testing(int numClasses, int imageSize, boolean withLlm) {
        var c = new ModelConfig(Encoder.R50_VIT, imageSize, 1, numClasses, new Vit(32, 2, 4, 64, 16, 0.0, 0.0),
                32, List.of(1, 1, 1), List.of(32, 16, 16, 8), 3, Optional.empty());
        return withLlm ? c.withLlm(new Llm(64, 4, 4, 128, 1e-6, true, false)) : c;
    }

    public ModelConfig withLlm(Llm l) {
        return new ModelConfig(encoder, imageSize, inChannels, numClasses, vit, resnetWidth, resnetUnits,
                decoderChannels, skips, Optional.ofNullable(l), decoderBatchNorm, mvl);
    }

    /** The same model with the decoder's BatchNorm on or off. */
    public ModelConfig withDecoderBatchNorm(boolean on) {
        return new ModelConfig(encoder, imageSize, inChannels, numClasses, vit, resnetWidth, resnetUnits,
                decoderChannels, skips, llm, on, mvl);
    }

    /** Tokens per image: (imageSize/16)^2 for both encoders at patch 16. */
    public int gridSize() {
        return encoder == Encoder.R50_VIT ? imageSize / 16 : imageSize / vit.patchSize();
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }
}
