package dev.medseg.job.evaluate;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * Writes output files (masks, pictures) into a folder on any Hadoop file system, atomically: a file is written
 * under a hidden temporary name (ending like the real name, so writers that check the extension accept it) and
 * then renamed, so a reader or a retried task never sees half a file. Local folders are written directly, without
 * Hadoop's checksum side files.
 */
public final class OutputFiles {
    private OutputFiles() {
    }

    /** Writes a file's content to a local path. */
    @FunctionalInterface
    public interface Writer {
        /** Writes the whole file at {@code path}. */
        void write(Path path) throws IOException;
    }

    /** Writes {@code dir/name} with {@code writer}, replacing any earlier file of that name. */
    public static void write(String dir, String name, Configuration conf, Writer writer) {
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dir, name);
        String hidden = ".partial-" + UUID.randomUUID() + "-" + name;
        try {
            FileSystem fs = target.getFileSystem(conf);
            if ("file".equals(fs.getUri().getScheme())) {
                Path t = Path.of(fs.makeQualified(target).toUri());
                Files.createDirectories(t.getParent());
                Path tmp = t.resolveSibling(hidden);
                try {
                    writer.write(tmp);
                    Files.move(tmp, t, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(tmp);
                }
                return;
            }
            Path localDir = Files.createTempDirectory("medseg-out");
            Path local = localDir.resolve(hidden);
            try {
                writer.write(local);
                org.apache.hadoop.fs.Path staged = new org.apache.hadoop.fs.Path(dir, hidden);
                fs.mkdirs(new org.apache.hadoop.fs.Path(dir));
                fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), staged);
                if (fs.exists(target) && !fs.delete(target, false)) {
                    throw new IOException("cannot replace " + target);
                }
                if (!fs.rename(staged, target)) {
                    throw new IOException("cannot rename " + staged + " to " + target);
                }
            } finally {
                Files.deleteIfExists(local);
                Files.deleteIfExists(localDir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * A file-name-safe form of a case id: characters other than letters, digits, '.', '_' and '-' become '_', and a
     * leading '.' (a hidden file) becomes '_'.
     */
    public static String safeName(String caseId) {
        String s = caseId.replaceAll("[^A-Za-z0-9._-]", "_");
        if (s.isEmpty() || s.startsWith(".")) {
            s = "_" + s.substring(Math.min(1, s.length()));
        }
        return s;
    }
}
