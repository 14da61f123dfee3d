package dev.medseg.data.layout;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * BUSI breast ultrasound: {@code Dataset_BUSI_with_GT/{benign,malignant,normal}/benign (1).png} with
 * {@code benign (1)_mask.png} and, for some cases, {@code benign (1)_mask_1.png}, {@code _mask_2.png}, ...;
 * all masks of a case are its labels, to be OR-merged, ordered {@code _mask} then {@code _mask_k} by k.
 * The root may be the {@code Dataset_BUSI_with_GT} folder itself.
 *
 * <p>Case id = image stem ({@code "benign (1)"}), unique across the three class folders (a clash is a
 * {@link LayoutProblem#DUPLICATE_CASE_ID}). Attribute {@code class}: benign, malignant or normal ("normal"
 * masks are empty, still labels). Split by {@link SeededSplit}, not stratified, as the paper's
 * {@code train_test_split}.
 */
public final class BusiLayout implements DatasetLayout {

    /** Registry name. */
    public static final String NAME = "busi";
    static final List<String> CLASSES = List.of("benign", "malignant", "normal");

    private static final Pattern MASK = Pattern.compile("(.+)_mask(?:_(\\d{1,3}))?");

    private final SeededSplit split;

    /** @param split how cases are split */
    public BusiLayout(SeededSplit split) {
        this.split = Objects.requireNonNull(split, "split");
    }

    /** The paper split ({@link SeededSplit#PAPER}). */
    public BusiLayout() {
        this(SeededSplit.PAPER);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> expectedPaths() {
        return List.of("Dataset_BUSI_with_GT/benign/benign (1).png", "Dataset_BUSI_with_GT/benign/benign (1)_mask.png",
                "Dataset_BUSI_with_GT/malignant/", "Dataset_BUSI_with_GT/normal/");
    }

    @Override
    public Listing list(Path root) {
        LayoutFiles.requireRootFolder(root, this);
        Path base = LayoutFiles.folder(root, "Dataset_BUSI_with_GT").orElse(root);
        CasePairing pairing = new CasePairing(true);
        boolean any = false;
        for (String cls : CLASSES) {
            Optional<Path> dir = LayoutFiles.folder(base, cls);
            if (dir.isEmpty()) {
                continue;
            }
            any = true;
            // Masks of one case sorted by index (_mask = 0) so the label order is documented, not lexicographic.
            Map<String, TreeMap<Integer, Path>> masks = new TreeMap<>();
            for (Path f : LayoutFiles.files(dir.get())) {
                Optional<String> stem = LayoutFiles.stem(f.getFileName().toString(), LayoutFiles.IMAGE_EXTENSIONS);
                if (stem.isEmpty()) {
                    continue;
                }
                Matcher m = MASK.matcher(stem.get());
                if (m.matches()) {
                    int index = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
                    Path previous = masks.computeIfAbsent(m.group(1), k -> new TreeMap<>()).put(index, f);
                    if (previous != null) { // e.g. "x_mask.png" and "x_mask.jpg"
                        pairing.reject(f, LayoutProblem.DUPLICATE_CASE_ID, "mask " + index + " of case '" + m.group(1)
                                + "' is also " + previous + "; this file is not used");
                    }
                } else {
                    pairing.image(stem.get(), f, Map.of("class", cls), true,
                            f.resolveSibling(stem.get() + "_mask.png").toString());
                }
            }
            masks.forEach((id, byIndex) -> byIndex.values().forEach(f ->
                    pairing.label(id, f, f.resolveSibling(id + ".png").toString())));
        }
        if (!any) {
            throw LayoutFiles.notThisLayout(root, this, "has none of the class folders " + CLASSES);
        }
        return TwoDimensional.listing(this, NAME, root, pairing, split, LabelMap.binary("lesion"));
    }
}
