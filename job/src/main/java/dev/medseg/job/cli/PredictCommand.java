package dev.medseg.job.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Write predicted masks of a trained run for a split. */
@Command(name = "predict", description = "Write predicted masks of a trained run for a split.")
final class PredictCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "RUN_DIR") Path run;
    @Option(names = "--data", required = true, paramLabel = "DIR") Path data;
    @Option(names = "--split", defaultValue = "test") String split;
    @Option(names = "--output", required = true, paramLabel = "DIR") Path output;
    @Override
    public Integer call() {
        throw new NotAvailableYet("predict", "prediction, issue 6");
    }
}
