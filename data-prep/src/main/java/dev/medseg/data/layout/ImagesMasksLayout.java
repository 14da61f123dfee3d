package dev.medseg.data.layout;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The generic 2-D layout of UNeXt-style pipelines: {@code images/<id>.<ext>} with {@code masks/0/<id>.<ext>}
 * (class folder 0 of a binary task), or {@code masks/<id>.<ext>} when there is no {@code masks/0/}; paired by
 * stem, split by {@link SeededSplit}.
 */
public final class ImagesMasksLayout implements DatasetLayout {

    /** Registry name. */
    public static final String NAME = "images-masks";
    static final List<StemPairing.Folders> CANDIDATES = List.of(
            new StemPairing.Folders("images", "masks/0"),
            new StemPairing.Folders("images", "masks"));

    private final String dataset;
    private final SeededSplit split;

    /**
     * @param dataset the dataset name written into every case (e.g. {@code "kvasir"})
     * @param split   how cases are split
     */
    public ImagesMasksLayout(String dataset, SeededSplit split) {
        if (dataset == null || dataset.isBlank()) {
            throw new IllegalArgumentException("dataset name must be non-blank");
        }
        this.dataset = dataset;
        this.split = Objects.requireNonNull(split, "split");
    }

    /** Dataset name {@code images-masks}, paper split. */
    public ImagesMasksLayout() {
        this(NAME, SeededSplit.PAPER);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> expectedPaths() {
        return List.of("images/<id>.png", "masks/0/<id>.png (or masks/<id>.png)");
    }

    @Override
    public Listing list(Path root) {
        return StemPairing.list(this, dataset, root, CANDIDATES, split, LabelMap.binary("foreground"));
    }
}
