package dev.medseg.job.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Run a model on an input .npy (N, C, H, W) in eval mode and write the logits as .npy. */
@Command(name = "forward", description = "Run a model on an input .npy (N, C, H, W) in eval mode and write the logits as .npy.")
final class ForwardCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "FILE", description = "Our checkpoint or a reference PyTorch state dict (.pth).") Path checkpoint;
    @Option(names = "--vit-npz", paramLabel = "FILE", description = "ImageNet-21k R50+ViT-B_16.npz.") Path vitNpz;
    @Option(names = "--llm", paramLabel = "FILE", description = "LLaMA block weights (safetensors or .pth).") Path llm;
    @Option(names = "--input", required = true, paramLabel = "X.npy") Path input;
    @Option(names = "--output", required = true, paramLabel = "Y.npy") Path output;
    @Mixin ConfigOptions config;
    @Override
    public Integer call() {
        throw new NotAvailableYet("forward", "the forward pass over checkpoints, issue 4");
    }
}
