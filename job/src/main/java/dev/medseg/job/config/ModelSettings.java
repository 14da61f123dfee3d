package dev.medseg.job.config;

import dev.medseg.model.ModelConfig;
import dev.medseg.model.WeightStorage;

import java.util.Optional;

/** Maps the {@code model} section of a config to a {@link ModelConfig}, naming the key of any bad value. */
public final class ModelSettings {
    private ModelSettings() {}

    /** MedVisionLlama's options when {@code model.architecture = medvisionllama}. */
    static Optional<ModelConfig.Mvl> mvl(Settings s) {
        if (!s.oneOf("model.architecture", "transunet", "medvisionllama").equals("medvisionllama")) return Optional.empty();
        int kernel = s.intIn("model.mvl.localKernel", 1, 63);
        if (kernel % 2 == 0) throw s.bad("model.mvl.localKernel", "must be odd");
        return Optional.of(new ModelConfig.Mvl(s.bool("model.mvl.hybridAttention"), kernel,
                s.intList("model.mvl.fusionLayers", -1, 1), s.oneOf("model.mvl.adapters", "linear", "lora"),
                s.intIn("model.mvl.loraRank", 1, 4096), s.doubleIn("model.mvl.loraAlpha", 1e-6, 1e6),
                s.oneOf("model.mvl.llmPosition", "after-encoder", "after-embedding")));
    }

    public static ModelConfig from(Settings s) {
        var encoder = switch (s.oneOf("model.encoder", "r50-vit", "vit")) {
            case "vit" -> ModelConfig.Encoder.VIT;
            default -> ModelConfig.Encoder.R50_VIT;
        };
        int imageSize = s.intIn("model.imageSize", 16, 4096);
        if (imageSize % 16 != 0) throw s.bad("model.imageSize", "must be a multiple of 16");
        int hidden = s.intIn("model.vit.hidden", 1, 65536);
        int heads = s.intIn("model.vit.heads", 1, 1024);
        if (hidden % heads != 0) throw s.bad("model.vit.hidden", "must be a multiple of model.vit.heads (" + heads + ")");
        var vit = new ModelConfig.Vit(hidden, s.intIn("model.vit.layers", 0, 1000), heads,
                s.intIn("model.vit.mlpDim", 1, 1 << 20), s.intIn("model.vit.patchSize", 1, 1024),
                s.doubleIn("model.vit.dropout", 0, 0.99), s.doubleIn("model.vit.attentionDropout", 0, 0.99));
        int width = s.intIn("model.resnet.width", 32, 4096);
        if (width % 32 != 0) throw s.bad("model.resnet.width", "must be a multiple of 32 (GroupNorm with 32 groups)");
        Optional<ModelConfig.Llm> llm = Optional.empty();
        if (s.bool("model.llm.enabled")) {
            int dim = s.intIn("model.llm.dim", 1, 1 << 16);
            int lh = s.intIn("model.llm.heads", 1, 1024);
            int kv = s.intIn("model.llm.kvHeads", 1, 1024);
            if (dim % lh != 0) throw s.bad("model.llm.dim", "must be a multiple of model.llm.heads (" + lh + ")");
            if (lh % kv != 0) throw s.bad("model.llm.kvHeads", "must divide model.llm.heads (" + lh + ")");
            llm = Optional.of(new ModelConfig.Llm(dim, lh, kv, s.intIn("model.llm.ffnDim", 1, 1 << 20),
                    s.doubleIn("model.llm.normEps", 1e-12, 1), s.bool("model.llm.finalNorm"),
                    s.bool("model.llm.outerResidual"),
                    WeightStorage.parse(s.oneOf("model.llm.storage", "float32", "float16", "bfloat16"))));
        }
        int skips = s.intIn("model.decoder.skips", 0, 3);
        if (encoder == ModelConfig.Encoder.VIT && skips != 0) {
            throw s.bad("model.decoder.skips", "must be 0 with model.encoder = vit (there are no ResNet features)");
        }
        try {
            return new ModelConfig(encoder, imageSize, s.intIn("model.inChannels", 1, 64),
                    s.intIn("model.numClasses", 1, 1000), vit, width, s.intList("model.resnet.units", 3, 1),
                    s.intList("model.decoder.channels", 4, 1), skips, llm,
                    s.bool("model.decoder.batchNorm"), mvl(s));
        } catch (IllegalArgumentException e) {
            throw new ConfigError("invalid model config: " + e.getMessage(), e);
        }
    }
}
