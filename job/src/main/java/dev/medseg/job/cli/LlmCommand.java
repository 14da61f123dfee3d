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

        @Override
        public Integer call() {
            throw new NotAvailableYet("llm extract", "checkpoint import, issue 4");
        }
    }
}
