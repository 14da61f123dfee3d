package dev.medseg.job.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Score a trained run on a split: Dice, IoU, HD95 per case and class. */
@Command(name = "evaluate", description = "Score a trained run on a split: Dice, IoU, HD95 per case and class.")
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "RUN_DIR") Path run;
    @Option(names = "--data", required = true, paramLabel = "DIR") Path data;
    @Option(names = "--split", defaultValue = "test") String split;
    @Override
    public Integer call() {
        throw new NotAvailableYet("evaluate", "evaluation, issue 6");
    }
}
