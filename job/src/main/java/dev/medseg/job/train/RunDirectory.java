package dev.medseg.job.train;

import dev.medseg.job.cli.UserError;
import dev.medseg.model.train.ModelCheckpoint;
import dev.medseg.model.train.ParamLayout;
import dev.medseg.model.train.TrainState;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A training run's output folder on any Hadoop file system (local, HDFS, S3A):
 * <pre>
 *   resolved.conf                      the run's full config
 *   checkpoints/round-000010.safetensors  periodic checkpoints (newest kept), atomic
 *   checkpoints/best.safetensors       best validation score so far
 *   checkpoints/final.safetensors      the end of training
 *   runs/, train_rounds/               result tables (Parquet)
 * </pre>
 * A checkpoint is written to a local temporary file, copied under a hidden temporary name, then renamed: a reader
 * never sees a partial checkpoint under a checkpoint name.
 */
public final class RunDirectory {
    public static final String CONFIG = "resolved.conf";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String BEST = "best.safetensors";
    public static final String FINAL = "final.safetensors";
    private static final Pattern ROUND = Pattern.compile("round-(\\d{6,})\\.safetensors");

    private final Path root;
    private final FileSystem fs;

    public RunDirectory(String location, Configuration hadoop) {
        this.root = new Path(location);
        try {
            this.fs = root.getFileSystem(hadoop);
        } catch (IOException e) {
            throw new UserError("run directory " + location + ": " + e.getMessage(), e);
        }
    }

    public String location() { return root.toString(); }

    /** Whether the folder exists with something in it. */
    public boolean hasContent() {
        try {
            return fs.exists(root) && fs.listStatus(root).length > 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void writeText(String name, String text) {
        try (var out = fs.create(new Path(root, name), true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + new Path(root, name) + ": " + e.getMessage(), e);
        }
    }

    public Optional<String> readText(String name) {
        Path p = new Path(root, name);
        try {
            if (!fs.exists(p)) return Optional.empty();
            try (var in = fs.open(p)) {
                return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + p + ": " + e.getMessage(), e);
        }
    }

    /** Name of the periodic checkpoint of a round. */
    public static String roundName(int round) {
        return String.format("round-%06d.safetensors", round);
    }

    /** Writes a checkpoint atomically under checkpoints/{@code name}. */
    public void writeCheckpoint(String name, ParamLayout params, ParamLayout buffers, TrainState state,
                                Map<String, String> metadata) {
        java.nio.file.Path local = null;
        try {
            java.nio.file.Path tmpDir = Files.createTempDirectory("medseg-ckpt");
            local = tmpDir.resolve(name);
            ModelCheckpoint.write(local, params, buffers, state, metadata);
            Path dir = new Path(root, CHECKPOINTS);
            fs.mkdirs(dir);
            Path hidden = new Path(dir, "." + name + ".inprogress");
            Path target = new Path(dir, name);
            fs.copyFromLocalFile(false, true, new Path(local.toUri()), hidden);
            if ("file".equals(fs.getUri().getScheme())) {
                // Local disks replace atomically: best.safetensors is never briefly missing.
                java.nio.file.Files.move(java.nio.file.Path.of(fs.makeQualified(hidden).toUri()),
                        java.nio.file.Path.of(fs.makeQualified(target).toUri()),
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } else {
                // Hadoop's rename does not overwrite: a kill between these two lines leaves no file under the name
                // (never a torn one); periodic checkpoints are new names and are not affected.
                if (fs.exists(target) && !fs.delete(target, false)) throw new IOException("cannot replace " + target);
                if (!fs.rename(hidden, target)) throw new IOException("cannot rename " + hidden + " to " + target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing checkpoint " + name + " in " + root + ": " + e.getMessage(), e);
        } finally {
            if (local != null) {
                try {
                    Files.deleteIfExists(local);
                    Files.deleteIfExists(local.getParent());
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

    /** Reads checkpoints/{@code name} (copied to a local temp file when the run folder is remote). */
    public ModelCheckpoint.Contents readCheckpoint(String name, ParamLayout params, ParamLayout buffers) {
        Path p = new Path(new Path(root, CHECKPOINTS), name);
        try {
            if ("file".equals(fs.getUri().getScheme())) {
                return ModelCheckpoint.read(java.nio.file.Path.of(fs.makeQualified(p).toUri()), params, buffers);
            }
            java.nio.file.Path tmp = Files.createTempFile("medseg-ckpt", ".safetensors");
            try {
                fs.copyToLocalFile(false, p, new Path(tmp.toUri()), true);
                return ModelCheckpoint.read(tmp, params, buffers);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading checkpoint " + p + ": " + e.getMessage(), e);
        }
    }

    /** Rounds of the complete periodic checkpoints, oldest first. */
    public List<Integer> checkpointRounds() {
        Path dir = new Path(root, CHECKPOINTS);
        try {
            if (!fs.exists(dir)) return List.of();
            return Arrays.stream(fs.listStatus(dir)).map(FileStatus::getPath).map(Path::getName)
                    .map(ROUND::matcher).filter(Matcher::matches).map(m -> Integer.parseInt(m.group(1)))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Keeps the newest {@code keep} periodic checkpoints (at least one), removing older ones. */
    public void prune(int keep) {
        List<Integer> rounds = checkpointRounds();
        int remove = rounds.size() - Math.max(1, keep);
        for (int i = 0; i < remove; i++) {
            try {
                fs.delete(new Path(new Path(root, CHECKPOINTS), roundName(rounds.get(i))), false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public boolean hasCheckpoint(String name) {
        try {
            return fs.exists(new Path(new Path(root, CHECKPOINTS), name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Metadata of checkpoints/{@code name} without reading its tensors. */
    public Map<String, String> checkpointMetadata(String name, ParamLayout params, ParamLayout buffers) {
        return readCheckpoint(name, params, buffers).metadata();
    }

    static Comparator<Integer> newestFirst() {
        return Comparator.reverseOrder();
    }
}
