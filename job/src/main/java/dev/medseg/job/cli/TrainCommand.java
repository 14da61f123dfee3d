package dev.medseg.job.cli;

import com.typesafe.config.Config;
import dev.medseg.job.config.ConfigLoader;
import dev.medseg.job.eval.CommandSpark;
import dev.medseg.job.train.RunDirectory;
import dev.medseg.job.train.TrainJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Train a model with synchronous parameter averaging across Spark executors. */
@Command(name = "train", description = "Train a model with synchronous parameter averaging across Spark executors.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Slice shards written by prep.") String data;
    @Option(names = "--output", required = true, paramLabel = "RUN_DIR", description = "Run folder (local path or Hadoop URI).") String output;
    @Option(names = "--resume", description = "Continue from the newest complete checkpoint in RUN_DIR (its resolved.conf is the config).") boolean resume;
    @Mixin ConfigOptions config;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Config conf = config.conf == null && resume ? runConfig() : config.load();
        try (CommandSpark session = CommandSpark.start("train")) {
            var outcome = new TrainJob(session.spark(), conf, data, output, line -> {
                err.println(line);
                err.flush();
            }).run(resume);
            String best = outcome.bestScores() == null ? "no validation split"
                    : String.format("best val dice %.4f iou %.4f", outcome.bestScores().dice(), outcome.bestScores().iou());
            err.printf("train: done, %d rounds, %d steps, last loss %.4f, %s; checkpoints in %s/%s%n", outcome.rounds(),
                    outcome.iterations(), outcome.lastLoss(), best, outcome.runDir(), RunDirectory.CHECKPOINTS);
            return 0;
        }
    }

    /** With --resume and no --conf: the run's own resolved.conf, plus any overrides. */
    private Config runConfig() {
        Path file = Path.of(output, RunDirectory.CONFIG);
        if (!Files.isRegularFile(file)) {
            throw new UserError("--resume: " + file + " not found (give --conf for a run folder on a remote file system)");
        }
        return ConfigLoader.load(Optional.of(file), config.overrides);
    }
}
