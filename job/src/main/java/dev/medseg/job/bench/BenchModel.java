package dev.medseg.job.bench;

import dev.medseg.model.ModelConfig;
import dev.medseg.model.WeightStorage;

import java.util.Locale;

/** The models the benchmarks time, by their command-line spelling. */
public enum BenchModel {
    /** TransUNet R50-ViT-B/16 (105.3 M parameters at 256, 9 classes). */
    TRANSUNET("transunet"),
    /** R50-ViT-B/16 + the frozen LLaMA-7B-shaped block (dim 4096, FFN 11008, 32 heads) and two adapters. */
    LLM_TRANSUNET("llm-transunet");

    private final String id;

    BenchModel(String id) { this.id = id; }

    /** The command-line and JSON spelling. */
    public String id() { return id; }

    /** The model at {@code size} with {@code classes} outputs; {@code tiny}: the test-size model of the same topology. */
    public ModelConfig config(int size, int classes, boolean tiny) {
        return config(size, classes, tiny, WeightStorage.FLOAT32);
    }

    /** As {@link #config(int, int, boolean)}, the LLM block's weight matrices kept as {@code storage}. */
    public ModelConfig config(int size, int classes, boolean tiny, WeightStorage storage) {
        boolean llm = this == LLM_TRANSUNET;
        ModelConfig c = tiny ? ModelConfig.testing(classes, size, llm)
                : llm ? ModelConfig.llmTransUNet(classes, size) : ModelConfig.r50ViTB16(classes, size);
        return c.llm().isPresent() ? c.withLlm(c.llm().get().withStorage(storage)) : c;
    }

    /** Parses {@code transunet}, {@code llm-transunet} or {@code both} (all models). */
    public static java.util.List<BenchModel> parseList(String s) {
        String k = s.toLowerCase(Locale.ROOT);
        if (k.equals("both")) return java.util.List.of(values());
        for (BenchModel m : values()) if (m.id.equals(k)) return java.util.List.of(m);
        throw new IllegalArgumentException("unknown model '" + s + "' (transunet | llm-transunet | both)");
    }
}
