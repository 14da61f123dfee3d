package dev.medseg.job.bench;

import dev.medseg.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A TransUNet-family {@link ModelConfig} as {@code model.*} config overrides, so a {@code train} run in another JVM
 * trains exactly the model the benchmarks name (the same as {@code bench train-step}).
 */
public final class ModelOverrides {
    private ModelOverrides() {}

    /** Every {@code model.*} key that defines {@code c}; MedVisionLlama configs are refused. */
    public static List<String> of(ModelConfig c) {
        if (c.mvl().isPresent()) throw new IllegalArgumentException("MedVisionLlama configs are not benchmarked here");
        var v = c.vit();
        List<String> o = new ArrayList<>(List.of("model.architecture=transunet",
                "model.encoder=" + (c.encoder() == ModelConfig.Encoder.R50_VIT ? "r50-vit" : "vit"),
                "model.imageSize=" + c.imageSize(), "model.inChannels=" + c.inChannels(), "model.numClasses=" + c.numClasses(),
                "model.vit.hidden=" + v.hidden(), "model.vit.layers=" + v.layers(), "model.vit.heads=" + v.heads(),
                "model.vit.mlpDim=" + v.mlpDim(), "model.vit.patchSize=" + v.patchSize(),
                "model.vit.dropout=" + v.dropout(), "model.vit.attentionDropout=" + v.attentionDropout(),
                "model.resnet.width=" + c.resnetWidth(), "model.resnet.units=" + list(c.resnetUnits()),
                "model.decoder.channels=" + list(c.decoderChannels()), "model.decoder.skips=" + c.skips(),
                "model.decoder.batchNorm=" + c.decoderBatchNorm(), "model.llm.enabled=" + c.llm().isPresent()));
        c.llm().ifPresent(l -> o.addAll(List.of("model.llm.dim=" + l.dim(), "model.llm.heads=" + l.heads(),
                "model.llm.kvHeads=" + l.kvHeads(), "model.llm.ffnDim=" + l.ffnDim(), "model.llm.normEps=" + l.normEps(),
                "model.llm.finalNorm=" + l.finalNorm(), "model.llm.outerResidual=" + l.outerResidual(),
                "model.llm.storage=" + l.storage().configName())));
        return o;
    }

    private static String list(List<Integer> xs) {
        return xs.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]"));
    }
}
