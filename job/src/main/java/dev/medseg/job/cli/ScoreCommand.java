package dev.medseg.job.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Compare a folder of predicted masks with a folder of reference masks. */
@Command(name = "score", description = "Compare a folder of predicted masks with a folder of reference masks.")
final class ScoreCommand implements Callable<Integer> {
    @Option(names = "--reference", required = true, paramLabel = "DIR") Path reference;
    @Option(names = "--prediction", required = true, paramLabel = "DIR") Path prediction;
    @Option(names = "--output", required = true, paramLabel = "DIR") Path output;
    @Override
    public Integer call() {
        throw new NotAvailableYet("score", "folder scoring, issue 6");
    }
}
