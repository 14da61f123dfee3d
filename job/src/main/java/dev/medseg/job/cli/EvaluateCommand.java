package dev.medseg.job.cli;

import dev.medseg.job.eval.CommandSpark;
import dev.medseg.job.evaluate.EvaluateJob;
import dev.medseg.job.tables.Summaries;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Score a trained run on a split: Dice, IoU, HD95 per case and class. */
@Command(name = "evaluate", description = {
        "Score a trained run on a split: Dice, IoU, HD95 (voxels and mm) per case and class.",
        "Each case is predicted slice by slice, resized back to its native grid (nearest) and scored whole (3-D volume or 2-D image).",
        "Writes OUT/case_metrics (Parquet), OUT/summary_table{1,2}.{csv,md}, OUT/overlays/*.png and OUT/training_curves.png;",
        "OUT is the run folder unless --output is given.",
        "Exit 0: all cases scored; 4: some cases have a problem (missing slices, missing labels, class ids outside the model)."})
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "RUN_DIR", description = "A training run folder.") String run;
    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Slice shards written by prep.") String data;
    @Option(names = "--split", defaultValue = "test", paramLabel = "NAME", description = "Split to score. Default ${DEFAULT-VALUE}.") String split;
    @Option(names = "--checkpoint", paramLabel = "best|final|FILE",
            description = "Checkpoint to score (default: best if present, else final).") String checkpoint;
    @Option(names = "--overlays", defaultValue = "5", paramLabel = "N",
            description = "Overlay pictures of the N cases with the lowest mean Dice. Default ${DEFAULT-VALUE}.") int overlays;
    @Option(names = "--output", paramLabel = "DIR", description = "Where tables and pictures go (default: the run folder).") String output;
    @Parameters(paramLabel = "key=value", description = "Overrides of the run's config, e.g. model.llm.checkpoint=PATH.")
    List<String> overrides = new ArrayList<>();
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (overlays < 0) {
            throw new UserError("--overlays must be >= 0, got " + overlays);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (CommandSpark session = CommandSpark.start("evaluate")) {
            EvaluateJob.Outcome o = new EvaluateJob(session.spark(), line -> {
                err.println(line);
                err.flush();
            }).run(new EvaluateJob.Request(run, data, split, checkpoint, overlays, output, overrides));
            Summaries.print(o.summaries(), out);
            out.printf("scored %d of %d cases of %s/%s with %s; tables under %s%n", o.cases() - o.problems().size(),
                    o.cases(), o.dataset(), split, o.checkpoint(), o.outputDir());
            for (String p : o.pictures()) {
                out.println("picture: " + p);
            }
            out.flush();
            for (String p : o.problems()) {
                err.println("medseg evaluate: case " + p);
            }
            err.flush();
            return o.problems().isEmpty() ? 0 : ScoreCommand.EXIT_PROBLEMS;
        }
    }
}
