package dev.medseg.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzSourceTest {
    @TempDir
    Path tmp;

    @Test
    void readsStoredAndDeflatedArchivesByEntryName() {
        for (String rel : new String[] {"npz/vit_like.npz", "npz/vit_like_compressed.npz"}) {
            try (NpzSource src = NpzSource.open(Fixtures.path(rel))) {
                assertEquals(Fixtures.recordedNames(rel), Set.copyOf(src.names()));
                for (String name : src.names()) {
                    Fixtures.assertMatches(src, rel, name);
                }
                TensorInfo k = src.require("Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel");
                assertEquals(DType.F32, k.dtype());
                assertEquals(DType.F64, src.require("big_endian_f8").dtype());
                assertTrue(src.info("Transformer/nope").isEmpty());
                String msg = assertThrows(CheckpointFormatException.class, () -> src.readFloat("Transformer/nope")).getMessage();
                assertTrue(msg.contains(rel) && msg.contains("'Transformer/nope'") && msg.contains("no such tensor"), msg);
            }
        }
    }

    @Test
    void javaWrittenNpzRoundTrips() throws IOException {
        Path p = tmp.resolve("w.npz");
        float[] v = {1f, -2f, 0.5f, 3f, 4f, 5f};
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            z.putNextEntry(new ZipEntry("a/b/kernel.npy"));
            NpyFormat.writeRaw(z, DType.F32, new long[] {2, 3}, Elements.encode(v, DType.F32));
            z.closeEntry();
            z.putNextEntry(new ZipEntry("README.txt")); // non-.npy entries are not tensors
            z.write(1);
            z.closeEntry();
        }
        try (NpzSource src = NpzSource.open(p)) {
            assertEquals(java.util.List.of("a/b/kernel"), src.names());
            assertTrue(Arrays.equals(v, src.readFloat("a/b/kernel")));
        }
    }

    @Test
    void truncatedArchiveIsReported() throws IOException {
        byte[] b = Files.readAllBytes(Fixtures.path("npz/vit_like_compressed.npz"));
        Path cut = tmp.resolve("cut.npz");
        Files.write(cut, Arrays.copyOf(b, b.length / 2));
        String msg = assertThrows(CheckpointFormatException.class, () -> NpzSource.open(cut)).getMessage();
        assertTrue(msg.startsWith(cut.toString()) && msg.contains("not a readable zip archive"), msg);
    }

    @Test
    void entryWhoseHeaderPromisesMoreThanItHoldsIsReported() throws IOException {
        // a valid .npy header for 10^12 floats followed by 8 bytes
        ByteArrayOutputStream npy = new ByteArrayOutputStream();
        NpyFormat.writeRaw(npy, DType.F32, new long[] {2}, new byte[8]);
        byte[] forged = npy.toString(java.nio.charset.StandardCharsets.ISO_8859_1)
                .replace("(2,)", "(1000000, 1000000)").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Path p = tmp.resolve("forged.npz");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            z.putNextEntry(new ZipEntry("huge.npy"));
            z.write(forged);
            z.closeEntry();
        }
        try (NpzSource src = NpzSource.open(p)) {
            String msg = assertThrows(CheckpointFormatException.class, () -> src.readFloat("huge")).getMessage();
            assertTrue(msg.startsWith(p.toString()) && msg.contains("tensor 'huge'") && msg.contains("needs 4000000000000 data bytes"), msg);
        }
    }
}
