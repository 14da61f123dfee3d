package dev.medseg.job.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Run Spark SQL over the result tables of one or more runs. */
@Command(name = "inspect", description = "Run Spark SQL over the result tables of one or more runs.")
final class InspectCommand implements Callable<Integer> {
    @Option(names = "--runs", required = true, arity = "1..*", paramLabel = "RUN_DIR") List<Path> runs;
    @Parameters(paramLabel = "SQL", arity = "0..1") String sql;
    @Override
    public Integer call() {
        throw new NotAvailableYet("inspect", "result inspection, issue 6");
    }
}
