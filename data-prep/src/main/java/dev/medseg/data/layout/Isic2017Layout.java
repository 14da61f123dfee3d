package dev.medseg.data.layout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ISIC 2017 lesion segmentation (task 1) with its official split: {@code ISIC-2017_Training_Data/ISIC_0000000.jpg}
 * with {@code ISIC-2017_Training_Part1_GroundTruth/ISIC_0000000_segmentation.png} (TRAIN), and the same for
 * {@code Validation} (VAL) and {@code Test_v2} (TEST). {@code _superpixels.png} files and non-image files
 * (metadata CSVs, licence texts) are ignored. Attribute {@code subset}: training, validation or test.
 */
public final class Isic2017Layout implements DatasetLayout {

    /** Registry name. */
    public static final String NAME = "isic2017";

    private static final Pattern IMAGE = Pattern.compile("(ISIC_\\d{7})");
    private static final Pattern MASK = Pattern.compile("(ISIC_\\d{7})_segmentation");
    private static final Pattern SUPERPIXELS = Pattern.compile("ISIC_\\d{7}_superpixels");

    private record Subset(String folderPart, String attribute, Split split) {
    }

    private static final List<Subset> SUBSETS = List.of(
            new Subset("Training", "training", Split.TRAIN),
            new Subset("Validation", "validation", Split.VAL),
            new Subset("Test_v2", "test", Split.TEST));

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> expectedPaths() {
        return List.of("ISIC-2017_Training_Data/ISIC_0000000.jpg",
                "ISIC-2017_Training_Part1_GroundTruth/ISIC_0000000_segmentation.png",
                "(and the same for _Validation_ and _Test_v2_)");
    }

    @Override
    public Listing list(Path root) {
        LayoutFiles.requireRootFolder(root, this);
        CasePairing pairing = new CasePairing(false);
        boolean any = false;
        for (Subset s : SUBSETS) {
            Optional<Path> data = LayoutFiles.folder(root, "ISIC-2017_" + s.folderPart() + "_Data");
            Optional<Path> truth = LayoutFiles.folder(root, "ISIC-2017_" + s.folderPart() + "_Part1_GroundTruth");
            any |= data.isPresent() || truth.isPresent();
            Path dataDir = data.orElse(root.resolve("ISIC-2017_" + s.folderPart() + "_Data"));
            Path truthDir = truth.orElse(root.resolve("ISIC-2017_" + s.folderPart() + "_Part1_GroundTruth"));
            for (Path f : data.map(LayoutFiles::files).orElse(List.of())) {
                match(f, IMAGE, pairing).ifPresent(id -> pairing.image(id, f, Map.of("subset", s.attribute()), true,
                        truthDir.resolve(id + "_segmentation.png").toString()));
            }
            for (Path f : truth.map(LayoutFiles::files).orElse(List.of())) {
                match(f, MASK, pairing).ifPresent(id -> pairing.label(id, f, dataDir.resolve(id + ".jpg").toString()));
            }
        }
        if (!any) {
            throw LayoutFiles.notThisLayout(root, this, "has no ISIC-2017_*_Data or ISIC-2017_*_Part1_GroundTruth folder");
        }
        List<CaseRef> cases = new ArrayList<>();
        for (CasePairing.Pair p : pairing.pairs()) {
            Split split = SUBSETS.stream().filter(s -> s.attribute().equals(p.attributes().get("subset")))
                    .findFirst().orElseThrow().split();
            cases.add(new CaseRef(NAME, p.caseId(), p.image(), p.labels(), split, p.attributes()));
        }
        if (cases.isEmpty() && pairing.rejected().isEmpty()) {
            throw LayoutFiles.notThisLayout(root, this, "holds no ISIC_*.jpg images");
        }
        return new Listing(NAME, root, LabelMap.binary("lesion"), cases, pairing.rejected());
    }

    // The ISIC id of an image file named like the pattern; superpixel maps and non-images are skipped.
    private static Optional<String> match(Path file, Pattern pattern, CasePairing pairing) {
        Optional<String> stem = LayoutFiles.stem(file.getFileName().toString(), LayoutFiles.IMAGE_EXTENSIONS);
        if (stem.isEmpty() || SUPERPIXELS.matcher(stem.get()).matches()) {
            return Optional.empty();
        }
        Matcher m = pattern.matcher(stem.get());
        if (!m.matches()) {
            pairing.reject(file, LayoutProblem.UNRECOGNISED_FILE, pattern == IMAGE
                    ? "expected ISIC_nnnnnnn.jpg" : "expected ISIC_nnnnnnn_segmentation.png");
            return Optional.empty();
        }
        return Optional.of(m.group(1));
    }
}
