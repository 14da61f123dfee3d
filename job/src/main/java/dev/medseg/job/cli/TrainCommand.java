package dev.medseg.job.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Train a model with synchronous parameter averaging across Spark executors. */
@Command(name = "train", description = "Train a model with synchronous parameter averaging across Spark executors.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Slice shards written by prep.") Path data;
    @Option(names = "--output", required = true, paramLabel = "RUN_DIR") Path output;
    @Option(names = "--resume", description = "Continue from the newest complete checkpoint in RUN_DIR.") boolean resume;
    @Mixin ConfigOptions config;
    @Override
    public Integer call() {
        throw new NotAvailableYet("train", "parameter-averaging training, issue 5");
    }
}
