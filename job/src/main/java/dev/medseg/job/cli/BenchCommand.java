package dev.medseg.job.cli;

import dev.medseg.data.prep.Interpolation;
import dev.medseg.data.prep.PrepBenchmark;
import dev.medseg.job.bench.ModelBenchCommands;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Benchmarks, one subcommand each; every figure is one JSON line on stdout. */
@Command(name = "bench", description = "Benchmarks: one JSON line per figure {name, value, unit, config}.",
        subcommands = {BenchCommand.Prep.class, ModelBenchCommands.TrainStep.class,
                ModelBenchCommands.Forward.class, ModelBenchCommands.Peer.class})
final class BenchCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing benchmark: choose one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /** {@code bench prep}: slices per second of the prep pipeline on generated BTCV-like volumes. */
    @Command(name = "prep", description = "Slices/s of prep on generated BTCV-like int16 512x512xD .nii.gz volumes: "
            + "the per-case pipeline on one core, and the Spark job in local[1].")
    static final class Prep implements Callable<Integer> {
        @Option(names = "--volumes", defaultValue = "2", description = "Volumes to generate (1-30, default ${DEFAULT-VALUE}).")
        int volumes;
        @Option(names = "--depth", defaultValue = "150", description = "Slices per volume (default ${DEFAULT-VALUE}).")
        int depth;
        @Option(names = "--output-dir", paramLabel = "DIR",
                description = "Where the generated tree and outputs go (kept; default: a new temp dir).")
        Path outputDir;
        @Option(names = "--interpolation", defaultValue = "cubic",
                description = "linear or cubic (default ${DEFAULT-VALUE}, as the scipy order-3 Python peer).")
        String interpolation;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            if (volumes < 1 || volumes > 30 || depth < 1 || depth > 2000) {
                throw new UserError("--volumes must be in [1, 30] and --depth in [1, 2000]");
            }
            Interpolation kind;
            try {
                kind = Interpolation.parse(interpolation);
            } catch (IllegalArgumentException e) {
                throw new UserError("--interpolation: " + e.getMessage());
            }
            Path dir = outputDir != null ? outputDir : Files.createTempDirectory("medseg-bench-prep");
            Files.createDirectories(dir);
            var out = spec.commandLine().getOut();
            PrepBenchmark.run(new PrepBenchmark.Settings(volumes, depth, dir, kind), l -> {
                out.println(l);
                out.flush();
            });
            spec.commandLine().getErr().println("bench prep: generated tree and outputs kept in " + dir);
            return 0;
        }
    }
}
