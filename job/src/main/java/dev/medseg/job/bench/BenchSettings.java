package dev.medseg.job.bench;

import dev.medseg.model.WeightStorage;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One model benchmark run.
 *
 * @param model   which model
 * @param mode    a training step or eval-mode forward
 * @param batch   images per step
 * @param size    image side in pixels (multiple of 16)
 * @param classes output classes (9: Synapse, as the peer)
 * @param steps   timed steps (the median is the figure)
 * @param warmup  untimed steps first (graph set-up, JIT, allocator)
 * @param tiny    the test-size model instead of the real one (smoke runs; figures mean nothing)
 * @param llmStorage how LLM-TransUNet's frozen block keeps its weight matrices (products run in fp32 either way)
 */
public record BenchSettings(BenchModel model, Mode mode, int batch, int size, int classes, int steps, int warmup,
                            boolean tiny, WeightStorage llmStorage) {
    /** A run with the frozen block in fp32, as the peer keeps it. */
    public BenchSettings(BenchModel model, Mode mode, int batch, int size, int classes, int steps, int warmup, boolean tiny) {
        this(model, mode, batch, size, classes, steps, warmup, tiny, WeightStorage.FLOAT32);
    }

    /** Training step or inference. */
    public enum Mode {
        TRAIN_STEP("train_step"), FORWARD("forward");
        private final String id;
        Mode(String id) { this.id = id; }
        /** Spelling in figure names. */
        public String id() { return id; }
    }

    /** Machine peak fp32 throughput used for the "fraction of peak" (2 Zen 4 cores × 32 FLOP/cycle × ~3.6 GHz). */
    public static final double MACHINE_PEAK_GFLOPS = 230;

    /** Checks ranges so a typo cannot ask for a 100 GB batch. */
    public BenchSettings {
        if (model == null || mode == null || llmStorage == null) throw new IllegalArgumentException("model, mode and LLM storage required");
        checkImages(batch, size, classes);
        if (steps < 1 || steps > 1000) throw new IllegalArgumentException("--steps must be in [1, 1000], got " + steps);
        if (warmup < 0 || warmup > 100) throw new IllegalArgumentException("--warmup must be in [0, 100], got " + warmup);
    }

    /** Checks a benchmark's image settings (also {@code bench storage}'s). */
    static void checkImages(int batch, int size, int classes) {
        if (batch < 1 || batch > 64) throw new IllegalArgumentException("--batch must be in [1, 64], got " + batch);
        if (size < 16 || size > 1024 || size % 16 != 0) {
            throw new IllegalArgumentException("--size must be a multiple of 16 in [16, 1024], got " + size);
        }
        if (classes < 2 || classes > 256) throw new IllegalArgumentException("--classes must be in [2, 256], got " + classes);
    }

    /** The benchmarked model's config. */
    public dev.medseg.model.ModelConfig modelConfig() {
        return model.config(size, classes, tiny, llmStorage);
    }

    /** The figure name prefix, e.g. {@code train_step.llm-transunet}. */
    public String prefix() { return mode.id() + "." + model.id(); }

    /** The settings as the JSON config of every figure. */
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model.id() + (tiny ? " (tiny)" : ""));
        m.put("mode", mode.id());
        m.put("batch", batch);
        m.put("size", size);
        m.put("classes", classes);
        m.put("dtype", "fp32");
        if (model == BenchModel.LLM_TRANSUNET) m.put("llm_storage", llmStorage.configName());
        m.put("steps", steps);
        m.put("warmup", warmup);
        return m;
    }
}
