package dev.medseg.model;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds committed test fixtures: the one place model tests locate the repository root. */
public final class TestFixtures {
    private TestFixtures() {}

    /** The repository root: system property medseg.repo.root (set by surefire), else the nearest ancestor holding .mvn. */
    public static Path repoRoot() {
        String prop = System.getProperty("medseg.repo.root");
        if (prop != null && !prop.isBlank() && Files.isDirectory(Path.of(prop, ".mvn"))) {
            return Path.of(prop);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve(".mvn"))) return p;
        }
        throw new IllegalStateException("no directory with .mvn above " + Path.of("").toAbsolutePath());
    }

    /** A file or folder under tests/fixtures/. */
    public static Path fixture(String relative) {
        Path p = repoRoot().resolve("tests/fixtures").resolve(relative);
        if (!Files.exists(p)) throw new IllegalStateException("missing test fixture " + p);
        return p;
    }
}
