package dev.medseg.job.bench;

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
 */
public record BenchSettings(BenchModel model, Mode mode, int batch, int size, int classes, int steps, int warmup,
                            boolean tiny) {
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
        if (model == null || mode == null) throw new IllegalArgumentException("model and mode required");
        if (batch < 1 || batch > 64) throw new IllegalArgumentException("--batch must be in [1, 64], got " + batch);
        if (size < 16 || size > 1024 || size % 16 != 0) {
            throw new IllegalArgumentException("--size must be a multiple of 16 in [16, 1024], got " + size);
        }
        if (classes < 2 || classes > 256) throw new IllegalArgumentException("--classes must be in [2, 256], got " + classes);
        if (steps < 1 || steps > 1000) throw new IllegalArgumentException("--steps must be in [1, 1000], got " + steps);
        if (warmup < 0 || warmup > 100) throw new IllegalArgumentException("--warmup must be in [0, 100], got " + warmup);
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
        m.put("steps", steps);
        m.put("warmup", warmup);
        return m;
    }
}
