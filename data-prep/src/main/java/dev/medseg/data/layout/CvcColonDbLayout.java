package dev.medseg.data.layout;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * CVC-ColonDB polyps: {@code images/1.png} with {@code masks/1.png} (the PraNet test-set mirror), or the
 * ClinicDB style {@code Original/} with {@code Ground Truth/}; paired by file stem, first existing pair wins
 * in that order, then the same under a {@code CVC-ColonDB/} folder. Split by {@link SeededSplit}.
 */
public final class CvcColonDbLayout implements DatasetLayout {

    /** Registry name. */
    public static final String NAME = "cvc-colondb";
    static final List<StemPairing.Folders> CANDIDATES = List.of(
            new StemPairing.Folders("images", "masks"),
            new StemPairing.Folders("Original", "Ground Truth"),
            new StemPairing.Folders("CVC-ColonDB/images", "CVC-ColonDB/masks"),
            new StemPairing.Folders("CVC-ColonDB/Original", "CVC-ColonDB/Ground Truth"));

    private final SeededSplit split;

    /** @param split how cases are split */
    public CvcColonDbLayout(SeededSplit split) {
        this.split = Objects.requireNonNull(split, "split");
    }

    /** The paper split ({@link SeededSplit#PAPER}). */
    public CvcColonDbLayout() {
        this(SeededSplit.PAPER);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> expectedPaths() {
        return List.of("images/1.png", "masks/1.png", "(or Original/ + Ground Truth/)");
    }

    @Override
    public Listing list(Path root) {
        return StemPairing.list(this, NAME, root, CANDIDATES, split, LabelMap.binary("polyp"));
    }
}
