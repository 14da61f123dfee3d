package dev.medseg.model;

import dev.medseg.model.nn.Graph;
import org.nd4j.autodiff.samediff.SDVariable;

/** MedVisionLlama (issue 8): being built; {@link SegmentationNetwork} routes {@code model.architecture = medvisionllama} here. */
public final class MedVisionLlama {
    private MedVisionLlama() {}

    /** Builds the forward graph into {@code g}; returns the logits (B, numClasses, S, S). */
    public static SDVariable build(Graph g, ModelConfig c) {
        throw new UnsupportedOperationException("model.architecture = medvisionllama is not available in this build yet (issue 8)");
    }
}
