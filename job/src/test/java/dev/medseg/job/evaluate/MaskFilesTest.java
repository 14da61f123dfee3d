package dev.medseg.job.evaluate;

import dev.medseg.job.eval.LabelMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.apache.hadoop.conf.Configuration;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Mask files read back by the readers {@code score} uses, and the atomic output writes. */
class MaskFilesTest {
    @TempDir
    Path dir;

    @Test
    void niftiRoundTripKeepsIdsShapeAndSpacing() {
        int w = 3;
        int h = 2;
        int d = 2;
        byte[] ids = {0, 1, 2, 3, 0, (byte) 200, 1, 1, 0, 0, 2, 2};
        Path f = dir.resolve("case.nii.gz");
        MaskFiles.writeNifti(f, ids, w, h, d, new double[]{0.7, 0.9, 2.5});
        LabelMap m = LabelMap.read(f);
        assertEquals(new dev.medseg.model.metrics.Grid(w, h, d), m.grid());
        // x runs along columns, y along rows; NIfTI stores pixdim as float32
        assertEquals(0.9, m.spacing().sx(), 1e-6);
        assertEquals(0.7, m.spacing().sy(), 1e-6);
        assertEquals(2.5, m.spacing().sz(), 1e-6);
        for (int i = 0; i < ids.length; i++) {
            assertEquals(ids[i] & 0xFF, m.ids()[i], "voxel " + i);
        }
    }

    @Test
    void pngsAreBinaryFullScaleOrClassIds() throws Exception {
        byte[] ids = {0, 1, 1, 0, 1, 0};
        Path bin = dir.resolve("b.png");
        MaskFiles.writePng(bin, ids, 3, 2, true);
        assertEquals(255, javax.imageio.ImageIO.read(bin.toFile()).getRaster().getSample(1, 0, 0));
        assertArrayEquals(new int[]{0, 1, 1, 0, 1, 0}, LabelMap.read(bin).ids());
        byte[] multi = {0, 3, 2, 1, 0, 3};
        Path m = dir.resolve("m.png");
        MaskFiles.writePng(m, multi, 3, 2, false);
        assertArrayEquals(new int[]{0, 3, 2, 1, 0, 3}, LabelMap.read(m).ids());
    }

    @Test
    void outputFilesReplaceAtomicallyAndNamesAreSafe() throws Exception {
        Path out = dir.resolve("out");
        OutputFiles.write(out.toString(), "a.txt", new Configuration(), p -> Files.writeString(p, "one"));
        OutputFiles.write(out.toString(), "a.txt", new Configuration(), p -> Files.writeString(p, "two"));
        assertEquals("two", Files.readString(out.resolve("a.txt")));
        try (var files = Files.list(out)) {
            assertEquals(1, files.count(), "no temporary or checksum file is left");
        }
        // a failing writer leaves nothing behind
        assertThrows(java.io.UncheckedIOException.class, () -> OutputFiles.write(out.toString(), "b.txt",
                new Configuration(), p -> {
                    Files.writeString(p, "half");
                    throw new java.io.IOException("disk full");
                }));
        assertFalse(Files.exists(out.resolve("b.txt")));
        try (var files = Files.list(out)) {
            assertEquals(1, files.count());
        }
        assertEquals("_._x", OutputFiles.safeName("../x"));
        assertEquals("case_01.a-b", OutputFiles.safeName("case 01.a-b"));
    }
}
