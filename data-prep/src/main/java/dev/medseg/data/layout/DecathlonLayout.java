package dev.medseg.data.layout;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Medical Segmentation Decathlon and nnU-Net style: {@code dataset.json} plus {@code imagesTr/},
 * {@code labelsTr/} and optional {@code imagesTs/}.
 *
 * <p>{@code dataset.json} is parsed strictly ({@link StrictJson}, at most 16 MiB):
 * <ul>
 *   <li>{@code labels}: either MSD's {@code {"0": "background", "1": "edema"}} or nnU-Net v2's
 *       {@code {"background": 0, "edema": 1}}; id 0 is required; sorted ids become classes 0..K-1 (identity
 *       when contiguous). nnU-Net region labels (lists) are refused.</li>
 *   <li>{@code modality} (MSD) or {@code channel_names} (v2): the name of the selected channel becomes
 *       attribute {@code channel_name}.</li>
 *   <li>{@code training}: a list of {@code {"image": "./imagesTr/x.nii.gz", "label": "./labelsTr/x.nii.gz"}};
 *       case id = the image file name without extension. Listed paths must stay inside the root. Files in
 *       {@code imagesTr}/{@code labelsTr} that the list does not mention are rejected as unrecognised.</li>
 *   <li>without {@code training}: {@code imagesTr} is scanned. nnU-Net naming {@code <id>_<cccc>.<ext>} with a
 *       four-digit channel suffix is used when the file has {@code channel_names} or lacks MSD's
 *       {@code modality}; otherwise the whole stem is the id. Labels are {@code labelsTr/<id>.<ext>}; the
 *       extension is {@code file_ending} when given.</li>
 *   <li>{@code test}: a list of image paths (MSD); without it {@code imagesTs} is scanned. These cases are
 *       {@link Split#UNLABELLED}.</li>
 * </ul>
 * Attribute {@code channel} is the selected channel index (for nnU-Net naming, the {@code _cccc} file; for
 * MSD 4-D files, the index a reader should take along the 4th axis). Labelled cases are split by a
 * {@link SeededSplit}. The dataset name is {@code dataset.json}'s {@code name}, else the root folder's name.
 */
public final class DecathlonLayout implements DatasetLayout {

    /** Registry name. */
    public static final String NAME = "decathlon";
    static final long MAX_JSON_BYTES = StrictJson.MAX_CHARS;

    private static final Pattern CHANNEL_SUFFIX = Pattern.compile("(.+)_(\\d{4})");
    private static final List<String> ANY_EXTENSION = concat(LayoutFiles.VOLUME_EXTENSIONS, LayoutFiles.IMAGE_EXTENSIONS);

    private final SeededSplit split;
    private final int channel;

    /**
     * @param split   how labelled training cases are split
     * @param channel which input channel to list (0 for single-channel data)
     */
    public DecathlonLayout(SeededSplit split, int channel) {
        if (channel < 0 || channel > 9999) {
            throw new IllegalArgumentException("channel must be in [0, 9999], got " + channel);
        }
        this.split = Objects.requireNonNull(split, "split");
        this.channel = channel;
    }

    /** The 2-D paper split ({@link SeededSplit#PAPER}) on channel 0. */
    public DecathlonLayout() {
        this(SeededSplit.PAPER, 0);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> expectedPaths() {
        return List.of("dataset.json", "imagesTr/x.nii.gz (or x_0000.nii.gz)", "labelsTr/x.nii.gz", "imagesTs/ (optional)");
    }

    @Override
    public Listing list(Path root) {
        LayoutFiles.requireRootFolder(root, this);
        Path jsonFile = root.resolve("dataset.json");
        if (!Files.isRegularFile(jsonFile)) {
            throw LayoutFiles.notThisLayout(root, this, "has no dataset.json");
        }
        Object parsed = StrictJson.parse(LayoutFiles.readSmallText(jsonFile, MAX_JSON_BYTES), jsonFile.toString());
        if (!(parsed instanceof Map<?, ?> json)) {
            throw new DatasetLayoutException(jsonFile + ": top-level value must be an object");
        }
        LabelMap labelMap = labelMap(json.get("labels"), jsonFile);
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("channel", Integer.toString(channel));
        channelName(json, jsonFile).ifPresent(n -> attributes.put("channel_name", n));
        String dataset = json.get("name") instanceof String s && !s.isBlank() ? s.trim()
                : root.toAbsolutePath().normalize().getFileName().toString();
        boolean suffixNaming = json.containsKey("channel_names") || !json.containsKey("modality");
        List<String> extensions = json.get("file_ending") instanceof String ending && !ending.isBlank()
                ? List.of(ending) : ANY_EXTENSION;

        CasePairing pairing = new CasePairing(false);
        if (json.containsKey("training")) {
            addListedTraining(root, jsonFile, json.get("training"), attributes, extensions, pairing);
        } else {
            scanImages(root.resolve("imagesTr"), true, suffixNaming, extensions, attributes, root.resolve("labelsTr"), pairing);
            for (Path f : filesIfPresent(root.resolve("labelsTr"))) {
                LayoutFiles.stem(f.getFileName().toString(), extensions).ifPresent(id ->
                        pairing.label(id, f, root.resolve("imagesTr").resolve(imageName(id, suffixNaming, f, extensions)).toString()));
            }
        }
        if (json.containsKey("test")) {
            addListedTest(root, jsonFile, json.get("test"), attributes, extensions, pairing);
        } else {
            scanImages(root.resolve("imagesTs"), false, suffixNaming, extensions, attributes, null, pairing);
        }
        List<CasePairing.Pair> pairs = pairing.pairs();
        Map<String, Split> assigned = split.assign(pairs.stream().filter(p -> !p.labels().isEmpty())
                .map(CasePairing.Pair::caseId).toList());
        List<CaseRef> cases = new ArrayList<>();
        for (CasePairing.Pair p : pairs) {
            Split s = p.labels().isEmpty() ? Split.UNLABELLED : assigned.get(p.caseId());
            cases.add(new CaseRef(dataset, p.caseId(), p.image(), p.labels(), s, p.attributes()));
        }
        if (cases.isEmpty() && pairing.rejected().isEmpty()) {
            throw LayoutFiles.notThisLayout(root, this, "has a dataset.json but no images in imagesTr/ or imagesTs/");
        }
        return new Listing(dataset, root, labelMap, cases, pairing.rejected());
    }

    private String imageName(String id, boolean suffixNaming, Path labelFile, List<String> extensions) {
        String ext = LayoutFiles.extension(labelFile.getFileName().toString(), extensions).orElse(".nii.gz");
        return suffixNaming ? String.format("%s_%04d%s", id, channel, ext) : id + ext;
    }

    private void scanImages(Path dir, boolean labelRequired, boolean suffixNaming, List<String> extensions,
                            Map<String, String> attributes, Path labelDir, CasePairing pairing) {
        Set<String> withSelectedChannel = new HashSet<>();
        Map<String, Path> otherChannels = new TreeMap<>();
        for (Path f : filesIfPresent(dir)) {
            Optional<String> stem = LayoutFiles.stem(f.getFileName().toString(), extensions);
            if (stem.isEmpty()) {
                continue;
            }
            String id = stem.get();
            if (suffixNaming) {
                Matcher m = CHANNEL_SUFFIX.matcher(id);
                if (!m.matches()) {
                    pairing.reject(f, LayoutProblem.UNRECOGNISED_FILE, "expected nnU-Net naming <case>_0000<ext> (four-digit channel)");
                    continue;
                }
                id = m.group(1);
                if (Integer.parseInt(m.group(2)) != channel) {
                    otherChannels.putIfAbsent(id, f);
                    continue;
                }
            }
            withSelectedChannel.add(id);
            String ext = LayoutFiles.extension(f.getFileName().toString(), extensions).orElseThrow();
            String expectedLabel = labelDir == null ? "(none: test images)" : labelDir.resolve(id + ext).toString();
            pairing.image(id, f, attributes, labelRequired, expectedLabel);
        }
        otherChannels.forEach((id, f) -> {
            if (!withSelectedChannel.contains(id)) {
                pairing.reject(f, LayoutProblem.MISSING_IMAGE, String.format("case '%s' has no file for the selected channel %04d", id, channel));
            }
        });
    }

    private void addListedTraining(Path root, Path jsonFile, Object training, Map<String, String> attributes,
                                   List<String> extensions, CasePairing pairing) {
        if (!(training instanceof List<?> entries)) {
            throw new DatasetLayoutException(jsonFile + ": 'training' must be a list");
        }
        Set<Path> mentioned = new HashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            String where = "training[" + i + "]";
            if (!(entries.get(i) instanceof Map<?, ?> entry)
                    || !(entry.get("image") instanceof String imageText) || !(entry.get("label") instanceof String labelText)) {
                pairing.reject(jsonFile, LayoutProblem.MALFORMED_METADATA, where + " is not an object with string 'image' and 'label'");
                continue;
            }
            Optional<Path> image = insideRoot(root, imageText, jsonFile, where + ".image", pairing);
            Optional<Path> label = insideRoot(root, labelText, jsonFile, where + ".label", pairing);
            if (image.isEmpty() || label.isEmpty()) {
                continue;
            }
            Optional<String> id = LayoutFiles.stem(image.get().getFileName().toString(), extensions);
            if (id.isEmpty()) {
                pairing.reject(jsonFile, LayoutProblem.MALFORMED_METADATA, where + ".image '" + imageText + "' has none of the extensions " + extensions);
                continue;
            }
            mentioned.add(image.get());
            mentioned.add(label.get());
            boolean imageExists = Files.isRegularFile(image.get());
            boolean labelExists = Files.isRegularFile(label.get());
            if (imageExists) {
                pairing.image(id.get(), image.get(), attributes, true, label.get().toString());
            }
            if (labelExists) {
                pairing.label(id.get(), label.get(), image.get().toString());
            }
            if (!imageExists && !labelExists) {
                pairing.reject(image.get(), LayoutProblem.MISSING_IMAGE, "listed in dataset.json " + where + " but neither it nor "
                        + label.get() + " exists");
            }
        }
        for (String folder : List.of("imagesTr", "labelsTr")) {
            for (Path f : filesIfPresent(root.resolve(folder))) {
                if (LayoutFiles.extension(f.getFileName().toString(), extensions).isPresent() && !mentioned.contains(f.normalize())) {
                    pairing.reject(f, LayoutProblem.UNRECOGNISED_FILE, "not referenced by dataset.json 'training'");
                }
            }
        }
    }

    private void addListedTest(Path root, Path jsonFile, Object test, Map<String, String> attributes,
                               List<String> extensions, CasePairing pairing) {
        if (!(test instanceof List<?> entries)) {
            throw new DatasetLayoutException(jsonFile + ": 'test' must be a list");
        }
        for (int i = 0; i < entries.size(); i++) {
            String where = "test[" + i + "]";
            // MSD lists plain paths; some converted files list {"image": path}.
            Object item = entries.get(i) instanceof Map<?, ?> m ? m.get("image") : entries.get(i);
            if (!(item instanceof String text)) {
                pairing.reject(jsonFile, LayoutProblem.MALFORMED_METADATA, where + " is not an image path");
                continue;
            }
            Optional<Path> image = insideRoot(root, text, jsonFile, where, pairing);
            if (image.isEmpty()) {
                continue;
            }
            Optional<String> id = LayoutFiles.stem(image.get().getFileName().toString(), extensions);
            if (id.isEmpty()) {
                pairing.reject(jsonFile, LayoutProblem.MALFORMED_METADATA, where + " '" + text + "' has none of the extensions " + extensions);
            } else if (!Files.isRegularFile(image.get())) {
                pairing.reject(image.get(), LayoutProblem.MISSING_IMAGE, "listed in dataset.json " + where + " but absent");
            } else {
                pairing.image(id.get(), image.get(), attributes, false, "(none: test images)");
            }
        }
    }

    // A listed relative path resolved under root; absolute paths and ".." escapes are rejected, never followed.
    private static Optional<Path> insideRoot(Path root, String text, Path jsonFile, String where, CasePairing pairing) {
        Path resolved;
        try {
            Path relative = Path.of(text);
            if (relative.isAbsolute() || text.isBlank()) {
                pairing.reject(jsonFile, LayoutProblem.MALFORMED_METADATA, where + " '" + text + "' must be a relative path");
                return Optional.empty();
            }
            resolved = root.resolve(relative).normalize();
        } catch (InvalidPathException e) {
            pairing.reject(jsonFile, LayoutProblem.MALFORMED_METADATA, where + " '" + text + "' is not a valid path");
            return Optional.empty();
        }
        if (!resolved.startsWith(root.normalize())) {
            pairing.reject(jsonFile, LayoutProblem.MALFORMED_METADATA, where + " '" + text + "' points outside the dataset root");
            return Optional.empty();
        }
        return Optional.of(resolved);
    }

    /** Builds the label map from either {@code labels} form; see the class comment. */
    static LabelMap labelMap(Object labels, Path jsonFile) {
        if (!(labels instanceof Map<?, ?> map) || map.isEmpty()) {
            throw new DatasetLayoutException(jsonFile + ": 'labels' must be a non-empty object");
        }
        TreeMap<Integer, String> byId = new TreeMap<>();
        boolean msdForm = map.values().stream().allMatch(v -> v instanceof String);
        boolean v2Form = map.values().stream().allMatch(v -> v instanceof BigDecimal);
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = (String) e.getKey();
            int id;
            String name;
            if (msdForm) {
                id = parseId(key, jsonFile, "label key '" + key + "'");
                name = (String) e.getValue();
            } else if (v2Form) {
                id = labelId((BigDecimal) e.getValue(), jsonFile, key);
                name = key;
            } else {
                boolean region = map.values().stream().anyMatch(v -> v instanceof List);
                throw new DatasetLayoutException(jsonFile + ": 'labels' must map ids to names {\"0\": \"background\"} or names to ids "
                        + "{\"background\": 0}" + (region ? "; nnU-Net region labels (lists of ids) are not supported" : ""));
            }
            if (byId.put(id, name) != null) {
                throw new DatasetLayoutException(jsonFile + ": label id " + id + " appears twice in 'labels'");
            }
        }
        if (!byId.containsKey(0)) {
            throw new DatasetLayoutException(jsonFile + ": 'labels' has no id 0 (background); ids " + byId.keySet());
        }
        Map<Integer, Integer> toClass = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        byId.forEach((id, name) -> {
            toClass.put(id, names.size());
            names.add(name);
        });
        try {
            return new LabelMap(toClass, names);
        } catch (IllegalArgumentException e) {
            throw new DatasetLayoutException(jsonFile + ": 'labels': " + e.getMessage(), e);
        }
    }

    private static int parseId(String text, Path jsonFile, String what) {
        if (!text.matches("0|[1-9]\\d{0,4}") || Integer.parseInt(text) > LabelMap.MAX_SOURCE_ID) {
            throw new DatasetLayoutException(jsonFile + ": " + what + " is not a label id in [0, " + LabelMap.MAX_SOURCE_ID + "]");
        }
        return Integer.parseInt(text);
    }

    private static int labelId(BigDecimal value, Path jsonFile, String name) {
        try {
            int id = value.intValueExact();
            if (id < 0 || id > LabelMap.MAX_SOURCE_ID) {
                throw new ArithmeticException();
            }
            return id;
        } catch (ArithmeticException e) {
            throw new DatasetLayoutException(jsonFile + ": label '" + name + "' has id " + value
                    + ", not an integer in [0, " + LabelMap.MAX_SOURCE_ID + "]");
        }
    }

    private Optional<String> channelName(Map<?, ?> json, Path jsonFile) {
        Object channels = json.containsKey("channel_names") ? json.get("channel_names") : json.get("modality");
        if (channels == null) {
            return Optional.empty();
        }
        if (!(channels instanceof Map<?, ?> map)) {
            throw new DatasetLayoutException(jsonFile + ": 'channel_names'/'modality' must be an object");
        }
        Object name = map.get(Integer.toString(channel));
        if (!(name instanceof String s)) {
            throw new DatasetLayoutException(jsonFile + ": selected channel " + channel + " is not among the channels " + map.keySet());
        }
        return Optional.of(s);
    }

    private static List<Path> filesIfPresent(Path dir) {
        return Files.isDirectory(dir) ? LayoutFiles.files(dir) : List.of();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }
}
