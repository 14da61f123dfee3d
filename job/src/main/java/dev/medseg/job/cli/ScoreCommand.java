package dev.medseg.job.cli;

import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import dev.medseg.job.eval.CasePair;
import dev.medseg.job.eval.CommandSpark;
import dev.medseg.job.eval.FolderScoring;
import dev.medseg.job.eval.ScoreOptions;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.RunRecord;
import dev.medseg.job.tables.Summaries;
import dev.medseg.model.metrics.EmptyMaskRule;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/**
 * Scores a folder of predicted masks against a folder of reference masks (nnU-Net's evaluate-folder), writing
 * {@code <output>/case_metrics}, {@code <output>/runs} and the summary tables. Exit 0 when every case was
 * scored, {@link #EXIT_PROBLEMS} when some cases could not be (see their {@code problem} column).
 */
@Command(name = "score", description = {
        "Compare a folder of predicted masks with a folder of reference masks.",
        "Files (.nii, .nii.gz, .png) are matched by name without extension; each case is scored whole (3-D volume or 2-D image).",
        "Writes OUTPUT/case_metrics (Parquet), OUTPUT/runs and OUTPUT/summary_table{1,2}.{csv,md}.",
        "Exit 0: all cases scored; 4: some cases have a problem (missing, unreadable, shape or label mismatch)."})
final class ScoreCommand implements Callable<Integer> {
    /** Exit code when at least one case could not be scored. */
    static final int EXIT_PROBLEMS = 4;

    @Option(names = "--reference", required = true, paramLabel = "DIR", description = "Reference (ground truth) masks.")
    Path reference;
    @Option(names = "--prediction", required = true, paramLabel = "DIR", description = "Predicted masks, same file names.")
    Path prediction;
    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Where the tables and summaries go.")
    Path output;

    @ArgGroup(exclusive = true)
    ClassChoice classChoice;

    static final class ClassChoice {
        @Option(names = "--classes", split = ",", paramLabel = "ID", description = "Class ids to score, e.g. 1,2,3.")
        List<Integer> classes;
        @Option(names = "--num-classes", paramLabel = "N", description = "Score classes 1..N (default 1: binary masks).")
        Integer numClasses;
    }

    @Option(names = "--class-names", split = ",", paramLabel = "NAME", description = "One name per class, e.g. rv,myo,lv.")
    List<String> classNames = new ArrayList<>();
    @Option(names = "--empty-rule", defaultValue = "transunet", paramLabel = "RULE",
            description = "Scores when a mask is empty: transunet (dice 1/hd95 0 for a false detection, 0/0 for a miss or both empty) or nnunet (NaN when both are empty). Default ${DEFAULT-VALUE}.")
    String emptyRule;
    @Option(names = "--spacing", defaultValue = "header", paramLabel = "MODE",
            description = "hd95_mm from the NIfTI header spacing (header) or in voxels (voxel). Default ${DEFAULT-VALUE}.")
    String spacing;
    @Option(names = "--run-id", paramLabel = "ID", description = "run_id of the rows (default: the output folder name).")
    String runId;
    @Option(names = "--dataset", paramLabel = "NAME", description = "dataset of the rows (default: the reference folder name).")
    String dataset;
    @Option(names = "--split", defaultValue = "test", paramLabel = "NAME", description = "split of the rows. Default ${DEFAULT-VALUE}.")
    String split;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        requireDir(reference, "--reference");
        requireDir(prediction, "--prediction");
        ScoreOptions options = options();
        List<CasePair> pairs = FolderScoring.pair(reference, prediction);
        if (pairs.stream().allMatch(p -> p.references().isEmpty())) {
            throw new UserError("--reference " + reference + ": no .nii, .nii.gz or .png file");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Instant started = Instant.now();
        String outDir = output.toAbsolutePath().toString();
        try (CommandSpark session = CommandSpark.start("score")) {
            SparkSession spark = session.spark();
            ResultTables.write(FolderScoring.score(spark, pairs, options), outDir, ResultTable.CASE_METRICS,
                    SaveMode.Overwrite);
            // read back what was written: the summary and the problem list come from the table itself
            Dataset<Row> metrics = ResultTables.read(spark, ResultTable.CASE_METRICS, List.of(outDir));
            List<Row> problems = metrics.where("problem IS NOT NULL").select("case_id", "problem").distinct()
                    .orderBy("case_id").collectAsList();
            long cases = metrics.select("case_id").distinct().count();
            var summaries = Summaries.compute(metrics);
            Summaries.print(summaries, out);
            Summaries.write(spark, summaries, outDir);
            String status = problems.isEmpty() ? "succeeded" : "partial";
            ResultTables.overwrite(spark, outDir, ResultTable.RUNS, List.of(new RunRecord(options.runId(), null,
                    options.dataset(), configText(options), Versions.medseg(), started, Instant.now(), status)));
            out.printf("scored %d of %d cases; tables under %s%n", cases - problems.size(), cases, outDir);
            out.flush();
            for (Row p : problems) {
                err.println("medseg score: case " + p.getString(0) + ": " + p.getString(1));
            }
            err.flush();
            return problems.isEmpty() ? 0 : EXIT_PROBLEMS;
        }
    }

    private ScoreOptions options() {
        List<Integer> classes;
        if (classChoice != null && classChoice.classes != null) {
            classes = classChoice.classes.stream().sorted().distinct().toList();
            if (classes.size() != classChoice.classes.size() || !classes.equals(classChoice.classes)) {
                throw new UserError("--classes must be increasing and distinct, got " + classChoice.classes);
            }
        } else {
            int n = classChoice != null && classChoice.numClasses != null ? classChoice.numClasses : 1;
            if (n < 1 || n > 4095) {
                throw new UserError("--num-classes must be in 1..4095, got " + n);
            }
            classes = IntStream.rangeClosed(1, n).boxed().toList();
        }
        EmptyMaskRule rule = switch (emptyRule.toLowerCase(Locale.ROOT)) {
            case "transunet" -> EmptyMaskRule.TRANSUNET;
            case "nnunet" -> EmptyMaskRule.NNUNET;
            default -> throw new UserError("--empty-rule must be transunet or nnunet, got '" + emptyRule + "'");
        };
        boolean header = switch (spacing.toLowerCase(Locale.ROOT)) {
            case "header" -> true;
            case "voxel" -> false;
            default -> throw new UserError("--spacing must be header or voxel, got '" + spacing + "'");
        };
        try {
            return new ScoreOptions(runId != null ? runId : name(output), dataset != null ? dataset : name(reference),
                    split, classes, classNames, rule, header);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    private String configText(ScoreOptions o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("reference", reference.toAbsolutePath().toString());
        m.put("prediction", prediction.toAbsolutePath().toString());
        m.put("classes", o.classes());
        m.put("class-names", o.classNames());
        m.put("empty-rule", o.rule().name().toLowerCase(Locale.ROOT));
        m.put("spacing", o.headerSpacing() ? "header" : "voxel");
        m.put("split", o.split());
        return ConfigValueFactory.fromMap(Map.of("score", m)).render(ConfigRenderOptions.concise().setFormatted(true).setJson(false));
    }

    private static String name(Path p) {
        Path f = p.toAbsolutePath().normalize().getFileName();
        return f == null ? "root" : f.toString();
    }

    private static void requireDir(Path dir, String option) {
        if (!Files.isDirectory(dir)) {
            throw new UserError(option + " " + dir + ": not a directory");
        }
    }
}
