package dev.medseg.data.layout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** File-system helpers shared by the layouts: listing folders, matching extensions, reading small text files. */
final class LayoutFiles {

    /** NIfTI volume extensions, longest first so {@code .nii.gz} wins over {@code .gz}-less matching. */
    static final List<String> VOLUME_EXTENSIONS = List.of(".nii.gz", ".nii");
    /** 2-D image extensions found in the published 2-D datasets and their mirrors. */
    static final List<String> IMAGE_EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp");
    /** A folder with more entries than this is refused rather than listed into memory. */
    static final int MAX_ENTRIES = 1_000_000;

    private LayoutFiles() {
    }

    /**
     * Checks that {@code root} is an existing folder.
     *
     * @throws DatasetLayoutException naming the folder, the layout and its expected sub-paths
     */
    static void requireRootFolder(Path root, DatasetLayout layout) {
        if (root == null) {
            throw new DatasetLayoutException(layout.name() + " layout: dataset root is null; " + expectation(layout));
        }
        if (!Files.exists(root)) {
            throw new DatasetLayoutException(layout.name() + " layout: dataset root " + root + " does not exist; " + expectation(layout));
        }
        if (!Files.isDirectory(root)) {
            throw new DatasetLayoutException(layout.name() + " layout: dataset root " + root + " is not a folder; " + expectation(layout));
        }
    }

    /** An exception for a root that exists but holds nothing of this layout. */
    static DatasetLayoutException notThisLayout(Path root, DatasetLayout layout, String what) {
        return new DatasetLayoutException(layout.name() + " layout: dataset root " + root + " " + what + "; " + expectation(layout));
    }

    private static String expectation(DatasetLayout layout) {
        return "expected " + String.join(", ", layout.expectedPaths());
    }

    /** Regular files directly in {@code dir}, hidden ones ({@code .DS_Store}, {@code ._x.nii.gz}) skipped, sorted by name. */
    static List<Path> files(Path dir) {
        return entries(dir, false);
    }

    /** Sub-folders directly in {@code dir}, hidden ones skipped, sorted by name. */
    static List<Path> folders(Path dir) {
        return entries(dir, true);
    }

    private static List<Path> entries(Path dir, boolean folders) {
        List<Path> out = new ArrayList<>();
        int seen = 0;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                if (++seen > MAX_ENTRIES) {
                    throw new DatasetLayoutException(dir + ": more than " + MAX_ENTRIES + " entries; refusing to list");
                }
                String name = p.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                if (folders ? Files.isDirectory(p) : Files.isRegularFile(p)) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw new DatasetLayoutException(dir + ": cannot list folder: " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return out;
    }

    /**
     * The folder at {@code relative} under {@code base}, each segment matched exactly or else case-insensitively
     * ({@code Ground truth} vs {@code Ground Truth} across mirrors). Empty when absent.
     *
     * @throws DatasetLayoutException when a segment matches several folders case-insensitively
     */
    static Optional<Path> folder(Path base, String relative) {
        Path current = base;
        for (String segment : relative.split("/")) {
            Path exact = current.resolve(segment);
            if (Files.isDirectory(exact)) {
                current = exact;
                continue;
            }
            if (!Files.isDirectory(current)) {
                return Optional.empty();
            }
            List<Path> matches = folders(current).stream()
                    .filter(p -> p.getFileName().toString().equalsIgnoreCase(segment)).toList();
            if (matches.isEmpty()) {
                return Optional.empty();
            }
            if (matches.size() > 1) {
                throw new DatasetLayoutException(current + ": folders " + matches + " differ only in case; cannot tell which is '" + segment + "'");
            }
            current = matches.get(0);
        }
        return Optional.of(current);
    }

    /** The extension of {@code fileName} among {@code extensions} (case-insensitive), or empty. */
    static Optional<String> extension(String fileName, List<String> extensions) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        return extensions.stream().filter(lower::endsWith).findFirst();
    }

    /** {@code fileName} without its extension among {@code extensions}, or empty when it has none of them. */
    static Optional<String> stem(String fileName, List<String> extensions) {
        return extension(fileName, extensions).map(ext -> fileName.substring(0, fileName.length() - ext.length()))
                .filter(s -> !s.isEmpty());
    }

    /**
     * Reads a small UTF-8 text file, checking its size first.
     *
     * @throws DatasetLayoutException when it is larger than {@code maxBytes}, unreadable or not valid UTF-8
     */
    static String readSmallText(Path file, long maxBytes) {
        try {
            long size = Files.size(file);
            if (size > maxBytes) {
                throw new DatasetLayoutException(file + ": " + size + " bytes exceeds the limit of " + maxBytes + " for this metadata file");
            }
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length > maxBytes) { // grew between the two calls
                throw new DatasetLayoutException(file + ": " + bytes.length + " bytes exceeds the limit of " + maxBytes);
            }
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new DatasetLayoutException(file + ": not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new DatasetLayoutException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
