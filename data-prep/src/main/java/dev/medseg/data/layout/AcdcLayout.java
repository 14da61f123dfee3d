package dev.medseg.data.layout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ACDC cardiac cine MRI: {@code training/patient001/patient001_frame01.nii.gz} with
 * {@code patient001_frame01_gt.nii.gz} (the ED and ES frames), {@code Info.cfg}, and an ignored
 * {@code patient001_4d.nii.gz}; {@code testing/patient101..150} likewise, where {@code _gt} files are optional.
 * The root may also hold these folders under {@code database/} (the current ACDC download).
 *
 * <p>Case ids are {@code patient001_frame01}. Attributes: {@code patient} ({@code patient001}), {@code frame}
 * ({@code 01}), {@code subset} ({@code training}/{@code testing}), and from {@code Info.cfg} when it parses:
 * {@code phase} ({@code ED} or {@code ES}, for the frame its {@code ED:}/{@code ES:} line names) and
 * {@code group} (pathology). A malformed {@code Info.cfg} is rejected as {@link LayoutProblem#MALFORMED_METADATA}
 * and its patient's cases keep only their frame numbers.
 *
 * <p>Labelled cases take the split of the first {@link PatientRange} holding their patient number, else
 * {@code otherwise} (default {@link Split#HOLDOUT}); testing frames without {@code _gt} are
 * {@link Split#UNLABELLED}; training frames without {@code _gt} are rejected. Labels: {@link LabelMap#acdc()}.
 */
public final class AcdcLayout implements DatasetLayout {

    /** Registry name. */
    public static final String NAME = "acdc";
    /** {@code Info.cfg} files are a few lines; anything larger is not one. */
    static final long MAX_INFO_BYTES = 64 * 1024;

    private static final Pattern PATIENT_FOLDER = Pattern.compile("patient(\\d{3})");
    private static final Pattern VOLUME = Pattern.compile("patient(\\d{3})_(?:frame(\\d{2})(_gt)?|4d)");
    private static final Pattern INFO_LINE = Pattern.compile("\\s*([A-Za-z][A-Za-z0-9_]*)\\s*:\\s*(.*?)\\s*");
    private static final Pattern FRAME_NUMBER = Pattern.compile("\\d{1,4}");

    /**
     * Patients {@code first..last} (inclusive) go to {@code split}.
     *
     * @param split TRAIN, VAL, TEST or HOLDOUT
     */
    public record PatientRange(int first, int last, Split split) {
        /** Validates the bounds and the split. */
        public PatientRange {
            if (first < 1 || last < first || last > 999) {
                throw new IllegalArgumentException("patient range must satisfy 1 <= first <= last <= 999, got " + first + ".." + last);
            }
            if (split == null || split == Split.UNLABELLED) {
                throw new IllegalArgumentException("a patient range needs TRAIN, VAL, TEST or HOLDOUT, got " + split);
            }
        }

        boolean contains(int patient) {
            return patient >= first && patient <= last;
        }
    }

    private final List<PatientRange> ranges;
    private final Split otherwise;

    /**
     * A layout with explicit patient ranges.
     *
     * @param otherwise split of labelled patients in no range: TRAIN, VAL, TEST or HOLDOUT
     * @throws IllegalArgumentException when ranges overlap
     */
    public AcdcLayout(List<PatientRange> ranges, Split otherwise) {
        if (otherwise == null || otherwise == Split.UNLABELLED) {
            throw new IllegalArgumentException("otherwise must be TRAIN, VAL, TEST or HOLDOUT, got " + otherwise);
        }
        for (int i = 0; i < ranges.size(); i++) {
            for (int j = i + 1; j < ranges.size(); j++) {
                PatientRange a = ranges.get(i);
                PatientRange b = ranges.get(j);
                if (a.first() <= b.last() && b.first() <= a.last()) {
                    throw new IllegalArgumentException("patient ranges overlap: " + a + " and " + b);
                }
            }
        }
        this.ranges = List.copyOf(ranges);
        this.otherwise = otherwise;
    }

    /** The LLM-TransUNet split: patients 1–20 test, 21–30 validation, 31–100 train; others HOLDOUT. */
    public static AcdcLayout llmTransUNet() {
        return new AcdcLayout(List.of(new PatientRange(1, 20, Split.TEST), new PatientRange(21, 30, Split.VAL),
                new PatientRange(31, 100, Split.TRAIN)), Split.HOLDOUT);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> expectedPaths() {
        return List.of("training/patient001/patient001_frame01.nii.gz", "training/patient001/patient001_frame01_gt.nii.gz",
                "training/patient001/Info.cfg", "testing/patient101/... (optional)");
    }

    @Override
    public Listing list(Path root) {
        LayoutFiles.requireRootFolder(root, this);
        Path base = LayoutFiles.folder(root, "database").orElse(root);
        Optional<Path> training = LayoutFiles.folder(base, "training");
        Optional<Path> testing = LayoutFiles.folder(base, "testing");
        if (training.isEmpty() && testing.isEmpty()) {
            throw LayoutFiles.notThisLayout(root, this, "has neither a training/ nor a testing/ folder");
        }
        CasePairing pairing = new CasePairing(false);
        training.ifPresent(dir -> addSubset(dir, "training", true, pairing));
        testing.ifPresent(dir -> addSubset(dir, "testing", false, pairing));
        List<CaseRef> cases = new ArrayList<>();
        for (CasePairing.Pair p : pairing.pairs()) {
            int patient = Integer.parseInt(p.attributes().get("patient").substring("patient".length()));
            Split split = p.labels().isEmpty() ? Split.UNLABELLED : splitOf(patient);
            cases.add(new CaseRef(NAME, p.caseId(), p.image(), p.labels(), split, p.attributes()));
        }
        if (cases.isEmpty() && pairing.rejected().isEmpty()) {
            throw LayoutFiles.notThisLayout(root, this, "holds no patientNNN_frameNN volumes");
        }
        return new Listing(NAME, root, LabelMap.acdc(), cases, pairing.rejected());
    }

    private Split splitOf(int patient) {
        return ranges.stream().filter(r -> r.contains(patient)).map(PatientRange::split).findFirst().orElse(otherwise);
    }

    private void addSubset(Path subsetDir, String subset, boolean labelRequired, CasePairing pairing) {
        for (Path patientDir : LayoutFiles.folders(subsetDir)) {
            Matcher folder = PATIENT_FOLDER.matcher(patientDir.getFileName().toString());
            if (!folder.matches()) {
                continue; // not a patient folder (e.g. an unpacked archive's extra folder)
            }
            Map<String, String> info = Map.of();
            Path infoFile = patientDir.resolve("Info.cfg");
            if (Files.isRegularFile(infoFile)) {
                try {
                    info = parseInfo(infoFile);
                } catch (DatasetLayoutException e) {
                    pairing.reject(infoFile, LayoutProblem.MALFORMED_METADATA, e.getMessage() + "; frames keep their numbers only");
                }
            }
            for (Path f : LayoutFiles.files(patientDir)) {
                addVolume(f, folder.group(1), subset, labelRequired, info, pairing);
            }
        }
    }

    private static void addVolume(Path file, String patient, String subset, boolean labelRequired,
                                  Map<String, String> info, CasePairing pairing) {
        Optional<String> stem = LayoutFiles.stem(file.getFileName().toString(), LayoutFiles.VOLUME_EXTENSIONS);
        if (stem.isEmpty()) {
            return; // Info.cfg, MANDATORY_CITATION.md and other non-volumes
        }
        Matcher m = VOLUME.matcher(stem.get());
        if (!m.matches()) {
            pairing.reject(file, LayoutProblem.UNRECOGNISED_FILE, "expected patient" + patient + "_frameNN.nii.gz, "
                    + "patient" + patient + "_frameNN_gt.nii.gz or patient" + patient + "_4d.nii.gz");
            return;
        }
        if (!m.group(1).equals(patient)) {
            pairing.reject(file, LayoutProblem.UNRECOGNISED_FILE, "belongs to patient" + m.group(1) + " but lies in the folder of patient" + patient);
            return;
        }
        if (m.group(2) == null) {
            return; // the 4-D cine sequence: not a segmentation case
        }
        String frame = m.group(2);
        String caseId = "patient" + patient + "_frame" + frame;
        String ext = LayoutFiles.extension(file.getFileName().toString(), LayoutFiles.VOLUME_EXTENSIONS).orElseThrow();
        if (m.group(3) != null) {
            pairing.label(caseId, file, file.resolveSibling(caseId + ext).toString());
            return;
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("patient", "patient" + patient);
        attributes.put("frame", frame);
        attributes.put("subset", subset);
        int frameNumber = Integer.parseInt(frame);
        if (info.containsKey("ED") && Integer.parseInt(info.get("ED")) == frameNumber) {
            attributes.put("phase", "ED");
        } else if (info.containsKey("ES") && Integer.parseInt(info.get("ES")) == frameNumber) {
            attributes.put("phase", "ES");
        }
        if (info.containsKey("Group")) {
            attributes.put("group", info.get("Group"));
        }
        pairing.image(caseId, file, attributes, labelRequired, file.resolveSibling(caseId + "_gt" + ext).toString());
    }

    /**
     * Parses an ACDC {@code Info.cfg}: lines {@code Key: value} (blank lines allowed, CRLF tolerated).
     * {@code ED} and {@code ES}, when present, must be frame numbers (1–4 digits) and differ.
     *
     * @return keys to trimmed values, in file order
     * @throws DatasetLayoutException naming the file and line for a malformed, duplicate or oversized entry
     */
    static Map<String, String> parseInfo(Path file) {
        String text = LayoutFiles.readSmallText(file, MAX_INFO_BYTES);
        Map<String, String> values = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n|\r", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            Matcher m = INFO_LINE.matcher(lines[i]);
            if (!m.matches()) {
                throw new DatasetLayoutException(file + ": line " + (i + 1) + " is not 'Key: value'");
            }
            if (values.putIfAbsent(m.group(1), m.group(2)) != null) {
                throw new DatasetLayoutException(file + ": line " + (i + 1) + " repeats key " + m.group(1));
            }
        }
        for (String key : List.of("ED", "ES")) {
            String v = values.get(key);
            if (v != null && !FRAME_NUMBER.matcher(v).matches()) {
                throw new DatasetLayoutException(file + ": " + key + " must be a frame number, got '" + v + "'");
            }
        }
        if (values.containsKey("ED") && values.containsKey("ES")
                && Integer.parseInt(values.get("ED")) == Integer.parseInt(values.get("ES"))) {
            throw new DatasetLayoutException(file + ": ED and ES name the same frame " + values.get("ED"));
        }
        return values;
    }
}
