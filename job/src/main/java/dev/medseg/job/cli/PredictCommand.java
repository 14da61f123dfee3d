package dev.medseg.job.cli;

import dev.medseg.job.eval.CommandSpark;
import dev.medseg.job.evaluate.PredictJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Write predicted masks of a trained run for a split. */
@Command(name = "predict", description = {
        "Write predicted masks of a trained run for a split, at native resolution.",
        "One file per case in OUTPUT: <case>.nii.gz for 3-D volumes (canonical RAS+ voxel order), <case>.png for 2-D images;",
        "plus OUTPUT/predictions (Parquet, one row per slice).",
        "Exit 0: all cases written; 4: some cases have a problem (e.g. missing slices)."})
final class PredictCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "RUN_DIR", description = "A training run folder.") String run;
    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Slice shards written by prep.") String data;
    @Option(names = "--split", defaultValue = "test", paramLabel = "NAME", description = "Split to predict. Default ${DEFAULT-VALUE}.") String split;
    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Where masks and the predictions table go.") String output;
    @Option(names = "--checkpoint", paramLabel = "best|final|FILE",
            description = "Checkpoint to use (default: best if present, else final).") String checkpoint;
    @Parameters(paramLabel = "key=value", description = "Overrides of the run's config, e.g. train.dataset=NAME.")
    List<String> overrides = new ArrayList<>();
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (CommandSpark session = CommandSpark.start("predict")) {
            PredictJob.Outcome o = new PredictJob(session.spark(), line -> {
                err.println(line);
                err.flush();
            }).run(new PredictJob.Request(run, data, split, checkpoint, output, overrides));
            out.printf("wrote %d of %d cases of %s/%s with %s into %s%n", o.written().size(), o.cases(), o.dataset(),
                    split, o.checkpoint(), o.outputDir());
            out.flush();
            for (String p : o.problems()) {
                err.println("medseg predict: case " + p);
            }
            err.flush();
            return o.problems().isEmpty() ? 0 : ScoreCommand.EXIT_PROBLEMS;
        }
    }
}
