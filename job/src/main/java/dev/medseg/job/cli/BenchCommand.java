package dev.medseg.job.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Benchmarks: train step, inference, memory, parameter averaging; one JSON line per figure. */
@Command(name = "bench", description = "Benchmarks: train step, inference, memory, parameter averaging; one JSON line per figure.")
final class BenchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "WHAT", arity = "0..*", description = "train-step, forward, prep, averaging") List<String> what;
    @Override
    public Integer call() {
        throw new NotAvailableYet("bench", "benchmarks, issue 9");
    }
}
