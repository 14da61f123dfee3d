package dev.medseg.data.layout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * BTCV / Synapse multi-organ CT: {@code RawData/Training/img/img0001.nii.gz} with
 * {@code RawData/Training/label/label0001.nii.gz} ({@code .nii} accepted too), and unlabelled
 * {@code RawData/Testing/img/img0061.nii.gz}. The root may also be the {@code RawData} folder itself.
 *
 * <p>Case ids are {@code case} plus the four digits, as in TransUNet's lists ({@code case0005}). Labelled
 * cases take their split from explicit lists of the four-digit numbers; a labelled case in no list gets the
 * configured {@code unlistedSplit} (default {@link Split#HOLDOUT}); a listed case with no file at all is
 * reported as {@link LayoutProblem#MISSING_CASE}. {@code Testing} cases are always {@link Split#UNLABELLED}.
 * Attribute {@code subset} is {@code training} or {@code testing}. Labels use {@link LabelMap#btcvToSynapse()}.
 */
public final class SynapseLayout implements DatasetLayout {

    /** Registry name. */
    public static final String NAME = "synapse";
    /** TransUNet's {@code lists_Synapse/train.txt}: 18 cases. */
    public static final List<String> TRANSUNET_TRAIN = List.of("0005", "0006", "0007", "0009", "0010", "0021",
            "0023", "0024", "0026", "0027", "0028", "0030", "0031", "0033", "0034", "0037", "0039", "0040");
    /** TransUNet's {@code lists_Synapse/test_vol.txt}: 12 cases, sorted. */
    public static final List<String> TRANSUNET_TEST = List.of("0001", "0002", "0003", "0004", "0008", "0022",
            "0025", "0029", "0032", "0035", "0036", "0038");

    private static final Pattern IMAGE = Pattern.compile("img(\\d{4})");
    private static final Pattern LABEL = Pattern.compile("label(\\d{4})");
    private static final Pattern NUMBER = Pattern.compile("\\d{4}");

    private final Map<String, Split> listed;
    private final Split unlistedSplit;

    /**
     * A layout with explicit split lists of four-digit case numbers.
     *
     * @param unlistedSplit split of labelled cases in no list: TRAIN, VAL, TEST or HOLDOUT
     * @throws IllegalArgumentException for a malformed number, a number in two lists, or an UNLABELLED default
     */
    public SynapseLayout(List<String> train, List<String> val, List<String> test, Split unlistedSplit) {
        if (unlistedSplit == null || unlistedSplit == Split.UNLABELLED) {
            throw new IllegalArgumentException("unlistedSplit must be TRAIN, VAL, TEST or HOLDOUT, got " + unlistedSplit);
        }
        Map<String, Split> map = new LinkedHashMap<>();
        addAll(map, train, Split.TRAIN);
        addAll(map, val, Split.VAL);
        addAll(map, test, Split.TEST);
        this.listed = Map.copyOf(map);
        this.unlistedSplit = unlistedSplit;
    }

    /** TransUNet's split: 18 train, 12 test, no validation; other labelled cases HOLDOUT. */
    public static SynapseLayout transUNet() {
        return new SynapseLayout(TRANSUNET_TRAIN, List.of(), TRANSUNET_TEST, Split.HOLDOUT);
    }

    private static void addAll(Map<String, Split> map, List<String> numbers, Split split) {
        for (String n : numbers) {
            if (n == null || !NUMBER.matcher(n).matches()) {
                throw new IllegalArgumentException("Synapse case numbers are four digits like 0005, got '" + n + "'");
            }
            Split previous = map.put(n, split);
            if (previous != null) {
                throw new IllegalArgumentException("case " + n + " is listed in both " + previous + " and " + split);
            }
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> expectedPaths() {
        return List.of("RawData/Training/img/img0001.nii.gz", "RawData/Training/label/label0001.nii.gz",
                "RawData/Testing/img/img0061.nii.gz (optional)");
    }

    @Override
    public Listing list(Path root) {
        LayoutFiles.requireRootFolder(root, this);
        Path base = LayoutFiles.folder(root, "RawData").orElse(root);
        Optional<Path> trainImg = LayoutFiles.folder(base, "Training/img");
        Optional<Path> trainLabel = LayoutFiles.folder(base, "Training/label");
        Optional<Path> testImg = LayoutFiles.folder(base, "Testing/img");
        if (trainImg.isEmpty() && trainLabel.isEmpty() && testImg.isEmpty()) {
            throw LayoutFiles.notThisLayout(root, this, "has neither RawData/Training/img nor RawData/Testing/img");
        }
        Path trainImgDir = trainImg.orElse(base.resolve("Training/img"));
        Path trainLabelDir = trainLabel.orElse(base.resolve("Training/label"));
        CasePairing pairing = new CasePairing(false);
        Set<String> seenTrainingNumbers = new HashSet<>();
        for (Path f : trainImg.map(LayoutFiles::files).orElse(List.of())) {
            numberOf(f, IMAGE, pairing).ifPresent(n -> {
                seenTrainingNumbers.add(n);
                pairing.image("case" + n, f, Map.of("subset", "training"), true,
                        trainLabelDir.resolve("label" + n + extensionOf(f)).toString());
            });
        }
        for (Path f : trainLabel.map(LayoutFiles::files).orElse(List.of())) {
            numberOf(f, LABEL, pairing).ifPresent(n -> {
                seenTrainingNumbers.add(n);
                pairing.label("case" + n, f, trainImgDir.resolve("img" + n + extensionOf(f)).toString());
            });
        }
        for (Path f : testImg.map(LayoutFiles::files).orElse(List.of())) {
            numberOf(f, IMAGE, pairing).ifPresent(n ->
                    pairing.image("case" + n, f, Map.of("subset", "testing"), false, "(none: Testing is unlabelled)"));
        }
        List<CaseRef> cases = new ArrayList<>();
        for (CasePairing.Pair p : pairing.pairs()) {
            Split split = p.labels().isEmpty() ? Split.UNLABELLED
                    : listed.getOrDefault(p.caseId().substring("case".length()), unlistedSplit);
            cases.add(new CaseRef(NAME, p.caseId(), p.image(), p.labels(), split, p.attributes()));
        }
        List<Rejected> rejected = new ArrayList<>(pairing.rejected());
        listed.forEach((n, split) -> {
            if (!seenTrainingNumbers.contains(n)) {
                rejected.add(new Rejected(trainImgDir.resolve("img" + n + ".nii.gz"), LayoutProblem.MISSING_CASE,
                        "case" + n + " is listed for " + split.partitionValue() + " but neither its image nor its label exists"));
            }
        });
        if (cases.isEmpty() && rejected.isEmpty()) {
            throw LayoutFiles.notThisLayout(root, this, "holds no img*/label* volumes");
        }
        return new Listing(NAME, root, LabelMap.btcvToSynapse(), cases, rejected);
    }

    // The four digits of a volume named like the pattern; other volume files are rejected, non-volumes ignored.
    private static Optional<String> numberOf(Path file, Pattern pattern, CasePairing pairing) {
        String name = file.getFileName().toString();
        Optional<String> stem = LayoutFiles.stem(name, LayoutFiles.VOLUME_EXTENSIONS);
        if (stem.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = pattern.matcher(stem.get());
        if (!m.matches()) {
            pairing.reject(file, LayoutProblem.UNRECOGNISED_FILE, "expected a name like "
                    + pattern.pattern().replace("(\\d{4})", "0001") + ".nii.gz");
            return Optional.empty();
        }
        return Optional.of(m.group(1));
    }

    private static String extensionOf(Path file) {
        return LayoutFiles.extension(file.getFileName().toString(), LayoutFiles.VOLUME_EXTENSIONS).orElse(".nii.gz");
    }
}
