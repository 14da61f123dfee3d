package dev.medseg.data.layout;

/** Why a file found under a dataset root did not become a case. */
public enum LayoutProblem {
    /** An image whose label file is absent. */
    MISSING_LABEL,
    /** A label file whose image is absent (or a listed image path that does not exist). */
    MISSING_IMAGE,
    /** Two or more images (or single-label files) claim the same case id; none of them is used. */
    DUPLICATE_CASE_ID,
    /** A case named by an explicit split list that is not on disk; the file is where it was expected. */
    MISSING_CASE,
    /** A file with an image or volume extension whose name does not follow the layout's naming. */
    UNRECOGNISED_FILE,
    /** A metadata file (Info.cfg, a dataset.json entry) that could not be parsed or names an unsafe path. */
    MALFORMED_METADATA
}
