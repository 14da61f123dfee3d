package dev.medseg.data.layout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Collects image and label files by case id and pairs them, turning every missing partner and duplicate
 * id into a {@link Rejected} entry instead of dropping it. Split assignment is left to the layout.
 */
final class CasePairing {

    /** A paired (or deliberately unlabelled) case before its split is known. */
    record Pair(String caseId, Path image, List<Path> labels, Map<String, String> attributes) {
    }

    private record ImageEntry(Path file, Map<String, String> attributes, boolean labelRequired, String expectedLabel) {
    }

    private record LabelEntry(Path file, String expectedImage) {
    }

    private final boolean manyLabelsPerCase;
    private final Map<String, List<ImageEntry>> images = new TreeMap<>();
    private final Map<String, List<LabelEntry>> labels = new TreeMap<>();
    private final List<Rejected> rejected = new ArrayList<>();
    private boolean paired;

    /** @param manyLabelsPerCase whether several label files per case are expected (BUSI), not duplicates */
    CasePairing(boolean manyLabelsPerCase) {
        this.manyLabelsPerCase = manyLabelsPerCase;
    }

    /**
     * Adds an image.
     *
     * @param labelRequired whether a missing label is a problem (false for test-only folders)
     * @param expectedLabel where the label was expected, for the rejection message
     */
    void image(String caseId, Path file, Map<String, String> attributes, boolean labelRequired, String expectedLabel) {
        images.computeIfAbsent(caseId, k -> new ArrayList<>())
                .add(new ImageEntry(file, attributes, labelRequired, expectedLabel));
    }

    /** Adds a label file; {@code expectedImage} says where its image was expected. Labels keep insertion order. */
    void label(String caseId, Path file, String expectedImage) {
        labels.computeIfAbsent(caseId, k -> new ArrayList<>()).add(new LabelEntry(file, expectedImage));
    }

    /** Records a file rejected by the layout itself. */
    void reject(Path file, LayoutProblem problem, String detail) {
        rejected.add(new Rejected(file, problem, detail));
    }

    /** The rejections so far, including those produced by {@link #pairs()}. */
    List<Rejected> rejected() {
        return List.copyOf(rejected);
    }

    /** Pairs the collected files, sorted by case id; records rejections for everything left over. Call once. */
    List<Pair> pairs() {
        if (paired) {
            throw new IllegalStateException("pairs() already called; it records rejections once");
        }
        paired = true;
        List<Pair> out = new ArrayList<>();
        TreeMap<String, Boolean> ids = new TreeMap<>();
        images.keySet().forEach(id -> ids.put(id, true));
        labels.keySet().forEach(id -> ids.put(id, true));
        for (String id : ids.keySet()) {
            List<ImageEntry> imgs = images.getOrDefault(id, List.of());
            List<LabelEntry> lbls = labels.getOrDefault(id, List.of());
            if (imgs.size() > 1 || (!manyLabelsPerCase && lbls.size() > 1)) {
                rejectDuplicates(id, imgs, lbls);
            } else if (imgs.isEmpty()) {
                for (LabelEntry l : lbls) {
                    rejected.add(new Rejected(l.file(), LayoutProblem.MISSING_IMAGE,
                            "no image for case '" + id + "'; expected " + l.expectedImage()));
                }
            } else {
                ImageEntry img = imgs.get(0);
                if (lbls.isEmpty() && img.labelRequired()) {
                    rejected.add(new Rejected(img.file(), LayoutProblem.MISSING_LABEL,
                            "no label for case '" + id + "'; expected " + img.expectedLabel()));
                } else {
                    out.add(new Pair(id, img.file(), lbls.stream().map(LabelEntry::file).toList(), img.attributes()));
                }
            }
        }
        return out;
    }

    private void rejectDuplicates(String id, List<ImageEntry> imgs, List<LabelEntry> lbls) {
        List<Path> all = Stream.concat(imgs.stream().map(ImageEntry::file), lbls.stream().map(LabelEntry::file)).toList();
        for (Path file : all) {
            String others = all.stream().filter(p -> !p.equals(file)).map(Path::toString).collect(Collectors.joining(", "));
            rejected.add(new Rejected(file, LayoutProblem.DUPLICATE_CASE_ID,
                    "case id '" + id + "' is also claimed by " + others + "; none of these files is used"));
        }
    }
}
