package dev.medseg.data.layout;

import java.nio.file.Path;
import java.util.List;

/**
 * Turns a dataset root folder of one published layout into cases. Implementations list files and never
 * read pixels; results are sorted and deterministic for a given tree.
 */
public interface DatasetLayout {

    /** The registry name, e.g. {@code "synapse"} (see {@link DatasetLayouts}). */
    String name();

    /** The sub-paths a root of this layout is expected to contain, as shown in error messages. */
    List<String> expectedPaths();

    /**
     * Lists cases and rejected files under {@code root}.
     *
     * @throws DatasetLayoutException when the root is missing, not a folder, has none of the
     *                                {@link #expectedPaths()}, yields nothing at all, or holds malformed
     *                                metadata the whole listing depends on (dataset.json)
     */
    Listing list(Path root);

    /** The cases under {@code root}; fails, listing them, when any file was rejected. */
    default List<CaseRef> cases(Path root) {
        return list(root).requireClean();
    }
}
