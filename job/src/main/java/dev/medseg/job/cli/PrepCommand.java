package dev.medseg.job.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Turn a raw dataset into 256x256 slice Parquet shards (a Spark job). */
@Command(name = "prep", description = "Turn a raw dataset into 256x256 slice Parquet shards (a Spark job).")
final class PrepCommand implements Callable<Integer> {
    @Option(names = "--dataset", required = true, description = "synapse, acdc, decathlon, isic2017, busi, cvc-clinicdb, cvc-colondb, images-masks") String dataset;
    @Option(names = "--input", required = true, paramLabel = "DIR") Path input;
    @Option(names = "--output", required = true, paramLabel = "DIR") Path output;
    @Option(names = "--strict", description = "Fail on the first rejected case.") boolean strict;
    @Mixin ConfigOptions config;
    @Override
    public Integer call() {
        throw new NotAvailableYet("prep", "the Spark data-prep job, issue 3");
    }
}
