package dev.medseg.data.synth;

import dev.medseg.data.io.Image2d;
import dev.medseg.data.io.Image2dReader;
import dev.medseg.data.io.Mask2d;
import dev.medseg.data.layout.BusiLayout;
import dev.medseg.data.layout.CaseRef;
import dev.medseg.data.layout.Isic2017Layout;
import dev.medseg.data.layout.Listing;
import dev.medseg.data.layout.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The 2-D generators: listed cleanly by their layouts, masks 0/255 on a darker lesion, deterministic. */
class SynthImageTest {
    @TempDir Path dir;
    static final Image2dReader READER = new Image2dReader();

    @Test
    void isicTreeUsesTheOfficialSubsetFolders() {
        assertArrayEquals(new int[]{4, 1, 1}, Isic2017Synth.subsetSizes(6));
        assertArrayEquals(new int[]{2000, 150, 600}, Isic2017Synth.subsetSizes(2750));
        SynthResult r = Isic2017Synth.write(dir.resolve("isic"), new SynthOptions(6, 64, 1, 3));
        Listing l = new Isic2017Layout().list(r.root());
        assertEquals(List.of(), l.rejected());
        assertEquals(4, l.countsBySplit().get(Split.TRAIN));
        assertEquals(1, l.countsBySplit().get(Split.VAL));
        assertEquals(1, l.countsBySplit().get(Split.TEST));
        assertEquals("ISIC-2017_Test_v2_Data", l.cases(Split.TEST).get(0).image().getParent().getFileName().toString());
        for (CaseRef c : l.cases()) {
            Image2d img = READER.read(c.image());
            Mask2d mask = READER.readMask(c.label().orElseThrow());
            assertEquals(List.of(3, 64, 48), List.of(img.channels(), img.width(), img.height()));
            assertEquals(List.of(64, 48), List.of(mask.width(), mask.height()));
            assertLesionIsDarker(img, mask, c.caseId());
        }
    }

    @Test
    void busiTreeHasTheThreeClassesExtraMasksAndEmptyNormals() {
        assertArrayEquals(new int[]{5, 3, 2}, BusiSynth.classSizes(10));
        SynthResult r = BusiSynth.write(dir.resolve("busi"), new SynthOptions(10, 64, 1, 3));
        Listing l = new BusiLayout().list(r.root());
        assertEquals(List.of(), l.rejected());
        assertEquals(10, l.cases().size());
        // SeededSplit.PAPER on 10 ids: test ceil(2.0) = 2, val ceil(0.2 * 8) = 2, train 6.
        assertEquals(6, l.countsBySplit().get(Split.TRAIN));
        assertEquals(2, l.countsBySplit().get(Split.VAL));
        assertEquals(2, l.countsBySplit().get(Split.TEST));
        for (CaseRef c : l.cases()) {
            String cls = c.attribute("class").orElseThrow();
            int index = Integer.parseInt(c.caseId().replaceAll(".*\\((\\d+)\\)", "$1"));
            int expectedMasks = !cls.equals("normal") && index % 3 == 0 ? 2 : 1;
            assertEquals(expectedMasks, c.labels().size(), c.caseId());
            Image2d img = READER.read(c.image());
            assertEquals(List.of(1, 64, 64), List.of(img.channels(), img.width(), img.height()));
            for (Path m : c.labels()) {
                Mask2d mask = READER.readMask(m);
                if (cls.equals("normal")) assertEquals(0, foreground(mask), m.toString());
                else assertLesionIsDarker(img, mask, m.toString());
            }
        }
        assertTrue(l.cases().stream().anyMatch(c -> c.labels().size() == 2), "a case with _mask_1");
    }

    @Test
    void twoDimensionalTreesAreDeterministic() throws IOException {
        SynthOptions o = new SynthOptions(4, 48, 1, 21);
        SynthVolumeTest.assertSameBytes(Isic2017Synth.write(dir.resolve("a"), o), Isic2017Synth.write(dir.resolve("b"), o));
        SynthVolumeTest.assertSameBytes(BusiSynth.write(dir.resolve("c"), o), BusiSynth.write(dir.resolve("d"), o));
    }

    static int foreground(Mask2d m) {
        int n = 0;
        for (byte b : m.data()) if (b != 0) n++;
        return n;
    }

    /** The mask is a non-empty proper part of the image and its pixels are darker on average. */
    static void assertLesionIsDarker(Image2d img, Mask2d mask, String what) {
        int fg = foreground(mask), total = mask.width() * mask.height();
        assertTrue(fg > 10 && fg < total * 0.6, what + ": " + fg + " lesion pixels of " + total);
        double in = 0, out = 0;
        int plane = img.width() * img.height();
        for (int i = 0; i < plane; i++) {
            double v = 0;
            for (int c = 0; c < img.channels(); c++) v += img.data()[c * plane + i];
            if (mask.data()[i] != 0) in += v; else out += v;
        }
        assertTrue(in / fg < 0.75 * out / (total - fg), what + ": lesion " + in / fg + " vs surroundings " + out / (total - fg));
    }
}
