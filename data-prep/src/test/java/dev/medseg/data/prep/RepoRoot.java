package dev.medseg.data.prep;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository checkout the tests run in (surefire sets medseg.repo.root; else walk up to .mvn). */
final class RepoRoot {
    private RepoRoot() {
    }

    static Path find() {
        String p = System.getProperty("medseg.repo.root");
        if (p != null && Files.isDirectory(Path.of(p, ".mvn"))) {
            return Path.of(p);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve(".mvn"))) {
                return d;
            }
        }
        throw new IllegalStateException("repository root (with .mvn) not found above " + Path.of("").toAbsolutePath());
    }
}
