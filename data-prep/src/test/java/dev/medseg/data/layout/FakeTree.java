package dev.medseg.data.layout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Builds fake dataset trees of empty files (layouts never read pixels). */
final class FakeTree {

    private FakeTree() {
    }

    /** Creates empty files at the given relative paths under root. */
    static void touch(Path root, String... relativePaths) {
        for (String p : relativePaths) {
            write(root, p, "");
        }
    }

    /** Creates a file with UTF-8 text. */
    static Path write(Path root, String relativePath, String text) {
        try {
            Path file = root.resolve(relativePath);
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Case ids of a listing, in listing order. */
    static List<String> ids(List<CaseRef> cases) {
        return cases.stream().map(CaseRef::caseId).toList();
    }
}
