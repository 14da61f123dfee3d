package dev.medseg.data.layout;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One case of a dataset: where its image and label files are and which split it belongs to. No pixels.
 *
 * @param dataset    short dataset name, e.g. {@code "synapse"}, {@code "busi"}, or an MSD task name
 * @param caseId     id unique within the dataset listing, e.g. {@code "case0001"}, {@code "patient001_frame01"},
 *                   {@code "benign (1)"}
 * @param image      the image (or volume) file
 * @param labels     label files: empty for unlabelled cases, one for most datasets, several for BUSI cases
 *                   whose masks ({@code _mask}, {@code _mask_1}, ...) are to be OR-merged, in that order
 * @param split      the split; {@link Split#UNLABELLED} exactly when {@code labels} is empty
 * @param attributes extra facts as text (ACDC {@code phase} ED/ES and {@code frame}, BUSI {@code class},
 *                   the source {@code subset} folder, ...); sorted by key, unmodifiable
 */
public record CaseRef(String dataset, String caseId, Path image, List<Path> labels, Split split,
                      Map<String, String> attributes) {

    /** Validates the fields and makes the collections unmodifiable copies. */
    public CaseRef {
        requireText(dataset, "dataset");
        requireText(caseId, "caseId");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(split, "split");
        labels = List.copyOf(Objects.requireNonNull(labels, "labels"));
        // Labelled-ness and UNLABELLED must agree, or a split filter would silently train on nothing.
        if (labels.isEmpty() != (split == Split.UNLABELLED)) {
            throw new IllegalArgumentException("case " + caseId + ": split " + split + " with " + labels.size()
                    + " label file(s); UNLABELLED is for, and only for, cases without labels");
        }
        attributes = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(attributes, "attributes")));
    }

    /** The single label file, or empty when unlabelled; fails when the case has several masks to merge. */
    public Optional<Path> label() {
        if (labels.size() > 1) {
            throw new IllegalStateException("case " + caseId + " has " + labels.size() + " masks to OR-merge; use labels()");
        }
        return labels.stream().findFirst();
    }

    /** Whether the case has at least one label file. */
    public boolean isLabelled() {
        return !labels.isEmpty();
    }

    /** An attribute value, if present. */
    public Optional<String> attribute(String key) {
        return Optional.ofNullable(attributes.get(key));
    }

    /** A copy of this case with another split (labelled-ness rules still apply). */
    public CaseRef withSplit(Split newSplit) {
        return new CaseRef(dataset, caseId, image, labels, newSplit, attributes);
    }

    private static void requireText(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " must be non-blank, got '" + value + "'");
        }
    }
}
