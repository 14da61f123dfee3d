package dev.medseg.job.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** LLM block utilities. */
@Command(name = "llm", description = "Frozen LLM block utilities.", subcommands = {LlmCommand.Extract.class, LlmCommand.RandomBlock.class})
final class LlmCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: extract or random");
    }

    /** Pull one block out of a multi-GB checkpoint into a small safetensors file. */
    @Command(name = "extract", description = "Copy one LLaMA layer out of a Meta .pth or HF safetensors checkpoint into a small safetensors file.")
    static final class Extract implements Callable<Integer> {
        @Option(names = "--checkpoint", required = true, paramLabel = "PATH") Path checkpoint;
        @Option(names = "--layer", defaultValue = "31") int layer;
        @Option(names = "--output", required = true, paramLabel = "FILE") Path output;
        @Option(names = "--f32", description = "Convert to float32 (default: keep the stored fp16/bf16).") boolean f32;
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws java.io.IOException {
            try (var src = dev.medseg.model.io.TensorSources.open(checkpoint)) {
                var block = dev.medseg.model.io.LlamaBlockExtractor.extract(src, layer, output, f32);
                spec.commandLine().getOut().printf("extracted layer %d (%s naming, dim %d, ffn %d, kv %d, %s) from %s to %s%n",
                        block.layer(), block.naming(), block.dim(), block.ffnDim(), block.kvDim(), block.sourceDtype(),
                        checkpoint, output);
                return 0;
            } catch (dev.medseg.model.io.CheckpointFormatException e) {
                throw new UserError(e.getMessage(), e);
            }
        }
    }

    /**
     * Writes a LLaMA-shaped block with random weights in Meta's naming (layers.N.*), as a stand-in for real LLaMA
     * weights in demos and tests: the same code path loads it as loads an extracted real block.
     */
    @Command(name = "random", description = "Write a random LLaMA-shaped block (Meta naming) for demos and tests.")
    static final class RandomBlock implements Callable<Integer> {
        @Option(names = "--dim", defaultValue = "64") int dim;
        @Option(names = "--heads", defaultValue = "4") int heads;
        @Option(names = "--kv-heads", defaultValue = "4") int kvHeads;
        @Option(names = "--ffn", defaultValue = "172") int ffn;
        @Option(names = "--layer", defaultValue = "31") int layer;
        @Option(names = "--seed", defaultValue = "31") long seed;
        @Option(names = "--output", required = true, paramLabel = "FILE") Path output;
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws java.io.IOException {
            if (dim <= 0 || heads <= 0 || kvHeads <= 0 || ffn <= 0 || dim % heads != 0 || heads % kvHeads != 0) {
                throw new UserError("need dim % heads == 0 and heads % kv-heads == 0, all positive");
            }
            long kv = (long) dim / heads * kvHeads;
            var shapes = new java.util.LinkedHashMap<String, long[]>();
            shapes.put("attention.wq.weight", new long[]{dim, dim});
            shapes.put("attention.wk.weight", new long[]{kv, dim});
            shapes.put("attention.wv.weight", new long[]{kv, dim});
            shapes.put("attention.wo.weight", new long[]{dim, dim});
            shapes.put("feed_forward.w1.weight", new long[]{ffn, dim});
            shapes.put("feed_forward.w2.weight", new long[]{dim, ffn});
            shapes.put("feed_forward.w3.weight", new long[]{ffn, dim});
            shapes.put("attention_norm.weight", new long[]{dim});
            shapes.put("ffn_norm.weight", new long[]{dim});
            var entries = new java.util.ArrayList<dev.medseg.model.io.SafetensorsWriter.Entry>();
            String prefix = "layers." + layer + ".";
            shapes.forEach((k, v) -> entries.add(new dev.medseg.model.io.SafetensorsWriter.Entry(prefix + k,
                    dev.medseg.model.io.DType.F32, v)));
            var rnd = new java.util.SplittableRandom(seed);
            try (var w = dev.medseg.model.io.SafetensorsWriter.create(output, entries,
                    java.util.Map.of("medseg", "random LLaMA-shaped block, seed " + seed))) {
                for (var e : shapes.entrySet()) {
                    long[] sh = e.getValue();
                    float[] v = new float[(int) (sh.length == 1 ? sh[0] : sh[0] * sh[1])];
                    boolean norm = sh.length == 1;
                    // Norm weights near 1, projections N(0, 1/sqrt(fan_in)) like a trained block's scale.
                    double sd = norm ? 0.1 : 1.0 / Math.sqrt(sh[1]);
                    for (int i = 0; i < v.length; i++) {
                        double g = Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
                        v[i] = (float) ((norm ? 1 : 0) + sd * g);
                    }
                    w.write(prefix + e.getKey(), v);
                }
            }
            spec.commandLine().getOut().printf("wrote a random LLaMA-shaped block (layer %d, dim %d, heads %d, kv %d, ffn %d) to %s%n",
                    layer, dim, heads, kvHeads, ffn, output);
            return 0;
        }
    }
}
