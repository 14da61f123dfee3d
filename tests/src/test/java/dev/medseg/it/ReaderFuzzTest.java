package dev.medseg.it;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.medseg.data.io.ImageFormatException;
import dev.medseg.data.io.NiftiReader;
import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.io.NpyFormat;
import dev.medseg.model.io.NpzSource;
import dev.medseg.model.io.SafetensorsSource;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.io.TorchCheckpointSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Jazzer fuzz targets for the binary parsers: bytes go to a file, the reader opens it and reads every tensor or
 * voxel. The reader's own exception is the expected answer to garbage; anything else (IndexOutOfBounds,
 * NegativeArraySize, OutOfMemoryError, a hang) is a finding.
 *
 * <p>In a normal test run Jazzer only replays the seeds in {@code src/test/resources/dev/medseg/it/ReaderFuzzTestInputs/<method>/}
 * (links to {@code tests/fixtures/bad-inputs/} plus any crash kept as a regression file). Real fuzzing:
 * {@code JAZZER_FUZZ=1 mvn -pl tests -am test -Dtest=ReaderFuzzTest#fuzzNifti -Djazzer.max_duration=10m} (one
 * method at a time); new findings are written to that Inputs folder, keep them there.
 */
class ReaderFuzzTest {
    /** Small enough that a valid-looking header cannot make the fuzzer allocate gigabytes of voxels. */
    private static final long MAX_VOXELS = 1L << 22;
    private static final Path DIR = tempDir();

    @FuzzTest(maxDuration = "30s")
    void fuzzNifti(byte[] data) {
        Path f = write(data, "fuzz.nii");
        try {
            new NiftiReader(MAX_VOXELS).read(f);
        } catch (ImageFormatException expected) {
            // the contract for bad input
        }
        try {
            new NiftiReader(MAX_VOXELS).readLabels(f);
        } catch (ImageFormatException expected) {
            // the contract for bad input
        }
    }

    @FuzzTest(maxDuration = "30s")
    void fuzzNpy(byte[] data) {
        readAll(write(data, "fuzz.npy"), NpyFormat::open);
    }

    @FuzzTest(maxDuration = "30s")
    void fuzzNpz(byte[] data) {
        readAll(write(data, "fuzz.npz"), NpzSource::open);
    }

    @FuzzTest(maxDuration = "30s")
    void fuzzSafetensors(byte[] data) {
        readAll(write(data, "fuzz.safetensors"), SafetensorsSource::openFile);
    }

    @FuzzTest(maxDuration = "30s")
    void fuzzTorchCheckpoint(byte[] data) {
        readAll(write(data, "fuzz.pth"), TorchCheckpointSource::open);
    }

    /** Opens and reads every tensor; a CheckpointFormatException is the expected answer to bad bytes. */
    static void readAll(Path f, Function<Path, ? extends TensorSource> open) {
        try (TensorSource src = open.apply(f)) {
            for (String n : src.names()) {
                if (src.require(n).dtype().isFloating()) {
                    src.readFloat(n);
                } else {
                    src.readLong(n);
                }
                src.readRaw(n);
            }
        } catch (CheckpointFormatException expected) {
            // the contract for bad input
        }
    }

    private static Path write(byte[] data, String name) {
        try {
            return Files.write(DIR.resolve(name), data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path tempDir() {
        try {
            Path d = Files.createTempDirectory("medseg-fuzz");
            d.toFile().deleteOnExit();
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
