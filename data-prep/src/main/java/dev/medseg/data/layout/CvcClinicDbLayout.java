package dev.medseg.data.layout;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * CVC-ClinicDB polyps: {@code Original/1.tif} with {@code Ground Truth/1.tif}, paired by file stem
 * (TIF, PNG, JPG, BMP accepted). Mirror spellings are tried in this order, the first pair of existing
 * folders winning: {@code Original + Ground Truth}, {@code PNG/Original + PNG/Ground Truth},
 * {@code TIF/Original + TIF/Ground Truth}, {@code CVC-ClinicDB/Original + CVC-ClinicDB/Ground Truth},
 * {@code images + masks}; folder names match case-insensitively. Split by {@link SeededSplit}.
 */
public final class CvcClinicDbLayout implements DatasetLayout {

    /** Registry name. */
    public static final String NAME = "cvc-clinicdb";
    static final List<StemPairing.Folders> CANDIDATES = List.of(
            new StemPairing.Folders("Original", "Ground Truth"),
            new StemPairing.Folders("PNG/Original", "PNG/Ground Truth"),
            new StemPairing.Folders("TIF/Original", "TIF/Ground Truth"),
            new StemPairing.Folders("CVC-ClinicDB/Original", "CVC-ClinicDB/Ground Truth"),
            new StemPairing.Folders("images", "masks"));

    private final SeededSplit split;

    /** @param split how cases are split */
    public CvcClinicDbLayout(SeededSplit split) {
        this.split = Objects.requireNonNull(split, "split");
    }

    /** The paper split ({@link SeededSplit#PAPER}). */
    public CvcClinicDbLayout() {
        this(SeededSplit.PAPER);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> expectedPaths() {
        return List.of("Original/1.tif", "Ground Truth/1.tif", "(or PNG/Original + PNG/Ground Truth, TIF/..., images + masks)");
    }

    @Override
    public Listing list(Path root) {
        return StemPairing.list(this, NAME, root, CANDIDATES, split, LabelMap.binary("polyp"));
    }
}
