package dev.medseg.job.cli;

import dev.medseg.data.layout.DatasetLayoutException;
import dev.medseg.data.layout.Listing;
import dev.medseg.data.layout.Split;
import dev.medseg.data.synth.SynthOptions;
import dev.medseg.data.synth.SynthResult;
import dev.medseg.data.synth.SyntheticDatasets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.StringJoiner;
import java.util.concurrent.Callable;

/**
 * Writes a small realistic synthetic dataset in a real published layout (BTCV/Synapse, ACDC, ISIC 2017, BUSI), so
 * prep, train and evaluate can be run end to end without the restricted datasets. Same seed, same bytes.
 */
@Command(name = "synth", description = "Generate a seeded synthetic dataset in a published layout (synapse, acdc, isic2017, busi).")
public final class SynthCommand implements Callable<Integer> {
    @Option(names = "--layout", required = true, description = "synapse (alias btcv), acdc, isic2017 or busi.")
    String layout;
    @Option(names = "--output", required = true, paramLabel = "DIR", description = "An empty or new folder: the dataset root.")
    Path output;
    @Option(names = "--cases", description = "Volumes (synapse), patients (acdc, 2 frames each) or images; default per layout (synapse 30 = TransUNet's 18 train + 12 test).")
    Integer cases;
    @Option(names = "--size", description = "In-plane side in pixels; default 96 (synapse, acdc) or 128 (isic2017, busi).")
    Integer size;
    @Option(names = "--depth", description = "Slices per volume; default 24 (synapse) or 8 (acdc).")
    Integer depth;
    @Option(names = "--seed", defaultValue = "1", description = "Generator seed (default ${DEFAULT-VALUE}).")
    long seed;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        SynthResult result;
        try {
            SynthOptions d = SyntheticDatasets.defaults(layout);
            SynthOptions o = new SynthOptions(cases == null ? d.cases() : cases, size == null ? d.size() : size,
                    depth == null ? d.depth() : depth, seed);
            result = SyntheticDatasets.write(layout, output, o);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new UserError(e.getMessage(), e);
        }
        Listing listing;
        try {
            listing = result.listedBy().list(result.root());
        } catch (DatasetLayoutException e) {
            throw new IllegalStateException("the generated tree does not list as " + result.layout() + ": " + e.getMessage(), e);
        }
        StringJoiner splits = new StringJoiner(", ");
        listing.countsBySplit().forEach((s, n) -> { if (n > 0) splits.add(s.partitionValue() + " " + n); });
        var out = spec.commandLine().getOut();
        out.printf("wrote %d files to %s: %s layout, %d cases (%s), %d rejected%n", result.files().size(), result.root(),
                result.layout(), listing.cases().size(), splits, listing.rejected().size());
        if (listing.cases(Split.TRAIN).size() + listing.cases(Split.TEST).size() < listing.cases().size()
                && result.layout().equals("synapse")) {
            out.println("note: cases beyond TransUNet's 30 listed ones are holdout in its split");
        }
        out.flush();
        return listing.rejected().isEmpty() ? 0 : 1;
    }
}
