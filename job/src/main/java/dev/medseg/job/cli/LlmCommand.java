package dev.medseg.job.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** LLM block utilities. */
@Command(name = "llm", description = "Frozen LLM block utilities.", subcommands = LlmCommand.Extract.class)
final class LlmCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: extract");
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
}
