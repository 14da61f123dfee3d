package dev.medseg.job.cli;

import dev.medseg.data.layout.DatasetLayouts;
import dev.medseg.data.layout.SeededSplit;
import dev.medseg.data.layout.Split;
import dev.medseg.data.prep.Interpolation;
import dev.medseg.data.prep.PrepException;
import dev.medseg.data.prep.PrepJob;
import dev.medseg.data.prep.PrepOptions;
import dev.medseg.data.prep.PrepSummary;
import dev.medseg.job.config.Settings;
import dev.medseg.job.eval.CommandSpark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code medseg prep}: a raw dataset into slice Parquet shards (see {@link PrepJob}). Exit status 0 when every
 * case was written, {@value #EXIT_REJECTED} when cases were rejected (listed in OUTPUT/rejected; with
 * {@code --strict} nothing is written), 2 for usage or configuration errors.
 */
@Command(name = "prep", description = "Turn a raw dataset into 256x256 slice Parquet shards (a Spark job). "
        + "Exit 0 ok, 4 cases rejected (see OUTPUT/rejected; with --strict nothing is written), 2 usage/config error.")
final class PrepCommand implements Callable<Integer> {
    /** Exit status when cases were rejected. */
    static final int EXIT_REJECTED = 4;

    @Option(names = "--dataset", description = "synapse, acdc, decathlon (msd), isic2017, busi, cvc-clinicdb, cvc-colondb, "
            + "images-masks (default: prep.dataset of the config)")
    String dataset;
    @Option(names = "--input", required = true, paramLabel = "DIR", description = "Dataset root in its published layout.")
    Path input;
    @Option(names = "--output", required = true, paramLabel = "DIR",
            description = "Output root (local path, hdfs:// or s3a://); must not exist unless --overwrite.")
    String output;
    @Option(names = "--strict", description = "Any rejected case fails the job; nothing is written.")
    boolean strict;
    @Option(names = "--overwrite", description = "Replace an existing output once the new one is complete.")
    boolean overwrite;
    @Mixin ConfigOptions config;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrepOptions options = options(new Settings(config.load()));
        if (!Files.isDirectory(input)) {
            throw new UserError("--input " + input + " is not a directory");
        }
        var err = spec.commandLine().getErr();
        PrepSummary summary;
        // The command's session: spark-submit's or an embedding program's if there is one (never stopped here).
        try (CommandSpark session = CommandSpark.start("prep " + options.dataset())) {
            summary = PrepJob.run(session.spark(), options, line -> {
                err.println(line);
                err.flush();
            });
        } catch (PrepException e) {
            if (e.isStrictRejection()) {
                err.println("medseg prep: " + e.getMessage());
                return EXIT_REJECTED;
            }
            throw new UserError(e.getMessage(), e);
        }
        spec.commandLine().getOut().printf("prep %s: %d slices of %d cases written to %s (%s)%n", summary.dataset(),
                summary.slicesWritten(), summary.casesWritten(), summary.output(), summary.slicesBySplit());
        if (summary.hasRejections()) {
            err.printf("medseg prep: %d case(s) or file(s) rejected; see the rejected table %s, e.g.%n",
                    summary.rejected().size(), summary.rejectedTable());
            summary.rejected().stream().limit(5).forEach(r -> err.println("  " + r));
            return EXIT_REJECTED;
        }
        return 0;
    }

    /** The job options from the config's {@code prep} section and the command line. */
    PrepOptions options(Settings s) {
        String name = dataset != null ? dataset : s.string("prep.dataset");
        if (name.isBlank()) {
            throw new UserError("no dataset: pass --dataset NAME or set prep.dataset (e.g. --conf conf/datasets/synapse.conf)");
        }
        try {
            DatasetLayouts.forName(name); // before Spark starts: a typo should cost no JVM-seconds
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
        try {
            String intensity = s.string("prep.intensity").trim();
            Map<String, Split> overrides = new TreeMap<>();
            for (String o : s.config().getStringList("prep.split.overrides")) {
                int eq = o.indexOf('=');
                if (eq <= 0) {
                    throw s.bad("prep.split.overrides", "entries must look like caseId=train|val|test|holdout");
                }
                overrides.put(o.substring(0, eq).trim(), Split.fromPartitionValue(o.substring(eq + 1)));
            }
            SeededSplit seeded = new SeededSplit(s.doubleIn("prep.split.testFraction", 0, 0.99),
                    s.doubleIn("prep.split.valFraction", 0, 0.99), s.config().getLong("prep.split.seed"));
            return PrepOptions.defaults(name, input.toString(), output)
                    .withImageSize(s.intIn("prep.imageSize", 2, 4096))
                    .withInterpolation(Interpolation.parse(s.oneOf("prep.interpolation", "linear", "cubic")))
                    .withIntensity(intensity.equalsIgnoreCase("default") ? null : PrepOptions.parseIntensity(intensity))
                    .withChannels(s.intIn("prep.channels", 0, 3))
                    .withChannel(s.intIn("prep.channel", 0, 9999))
                    .withMaxVoxels(s.config().getLong("prep.maxVoxels"))
                    .withTargetFileMb(s.intIn("prep.targetFileMb", 1, 4096))
                    .withStrict(strict || s.bool("prep.strict"))
                    .withOverwrite(overwrite || s.bool("prep.overwrite"))
                    .withSplitOverrides(overrides)
                    .withSeededSplit(seeded.equals(SeededSplit.PAPER) ? null : seeded);
        } catch (IllegalArgumentException e) {
            throw new UserError("prep config: " + e.getMessage(), e);
        }
    }
}
