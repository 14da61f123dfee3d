package dev.medseg.model;

import dev.medseg.model.nn.Graph;
import org.nd4j.autodiff.samediff.SDVariable;

/**
 * Builds the network a {@link ModelConfig} describes — TransUNet / LLM-TransUNet, or MedVisionLlama — with the
 * same placeholder ({@link TransUNet#INPUT}) and output ({@link TransUNet#LOGITS}) names, so trainers, evaluation and
 * {@code forward} work with either.
 */
public final class SegmentationNetwork {
    private SegmentationNetwork() {}

    /** Builds the forward graph into {@code g}; returns the logits (B, numClasses, S, S). */
    public static SDVariable build(Graph g, ModelConfig c) {
        return c.mvl().isPresent() ? MedVisionLlama.build(g, c) : TransUNet.build(g, c);
    }
}
