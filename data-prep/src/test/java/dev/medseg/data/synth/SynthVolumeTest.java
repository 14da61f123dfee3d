package dev.medseg.data.synth;

import dev.medseg.data.io.LabelVolume;
import dev.medseg.data.io.NiftiDatatype;
import dev.medseg.data.io.NiftiHeader;
import dev.medseg.data.io.NiftiReader;
import dev.medseg.data.io.Volume;
import dev.medseg.data.layout.AcdcLayout;
import dev.medseg.data.layout.CaseRef;
import dev.medseg.data.layout.Listing;
import dev.medseg.data.layout.Split;
import dev.medseg.data.layout.SynapseLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/** The 3-D generators: layouts list them cleanly with the published splits, and the volumes look like CT / cine MRI. */
class SynthVolumeTest {
    @TempDir Path dir;
    static final NiftiReader READER = new NiftiReader();

    @Test
    void synapseTreeWithAllThirtyCasesGetsTransUNetsSplit() {
        SynthResult r = SynapseSynth.write(dir.resolve("btcv"), new SynthOptions(30, 32, 4, 7));
        Listing l = SynapseLayout.transUNet().list(r.root());
        assertEquals(List.of(), l.rejected());
        assertEquals(18, l.countsBySplit().get(Split.TRAIN));
        assertEquals(12, l.countsBySplit().get(Split.TEST));
        assertEquals(60, r.files().size());
        assertTrue(Files.isRegularFile(dir.resolve("btcv/RawData/Training/img/img0005.nii.gz")));
        assertTrue(Files.isRegularFile(dir.resolve("btcv/RawData/Training/label/label0038.nii.gz")));
    }

    @Test
    void fewerSynapseCasesInterleaveTrainAndTestAndComeWithAFittingLayout() {
        assertEquals(List.of("0005", "0001", "0006", "0002"), SynapseSynth.caseNumbers(4));
        assertEquals("0041", SynapseSynth.caseNumbers(31).get(30));
        SynthResult r = SynapseSynth.write(dir.resolve("s"), new SynthOptions(4, 32, 4, 7));
        Listing l = r.listedBy().list(r.root());
        assertEquals(List.of(), l.rejected());
        assertEquals(List.of("case0001", "case0002", "case0005", "case0006"), l.cases().stream().map(CaseRef::caseId).toList());
        assertEquals(2, l.countsBySplit().get(Split.TRAIN));
        assertEquals(2, l.countsBySplit().get(Split.TEST));
    }

    @Test
    void synapseVolumesAreCtLikeWithBtcvOrgansInsideTheBody() {
        SynthResult r = SynapseSynth.write(dir.resolve("s"), new SynthOptions(2, 96, 24, 3));
        Path img = r.root().resolve("RawData/Training/img/img0005.nii.gz");
        Path lab = r.root().resolve("RawData/Training/label/label0005.nii.gz");
        NiftiHeader h = READER.readHeader(img);
        assertEquals(NiftiDatatype.INT16, h.datatype());
        assertEquals(1, h.qformCode());
        assertEquals(1, h.sformCode());
        assertEquals(NiftiDatatype.UINT8, READER.readHeader(lab).datatype());
        Volume v = READER.read(img);
        LabelVolume labels = READER.readLabels(lab);
        assertEquals(List.of(96, 96, 24), List.of(v.nx(), v.ny(), v.nz()));
        assertArrayEquals(new double[]{0.7 * 512 / 96, 0.7 * 512 / 96, 3.0}, v.spacing(), 1e-5);
        assertEquals("LPS", v.geometry().orientationCode());
        assertEquals(v.geometry(), labels.geometry());

        Map<Integer, double[]> hu = new TreeMap<>(); // id -> {sum, count}
        float[] data = v.data();
        int[] ids = labels.ids();
        for (int i = 0; i < ids.length; i++) {
            double[] s = hu.computeIfAbsent(ids[i], k -> new double[2]);
            s[0] += data[i];
            s[1]++;
        }
        assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11), hu.keySet(), "original BTCV ids, incl. ones the remap drops");
        for (int id : List.of(1, 2, 3, 4, 6, 7, 8, 11)) assertTrue(hu.get(id)[1] >= 20, "organ " + id + " has " + hu.get(id)[1] + " voxels");
        double liver = mean(hu.get(6)), aorta = mean(hu.get(8)), gall = mean(hu.get(4));
        assertEquals(60, liver, 15);
        assertTrue(aorta > liver + 60, "contrast-enhanced aorta " + aorta + " vs liver " + liver);
        assertTrue(gall < liver - 20, "bile " + gall + " vs liver " + liver);
        // Organs lie inside the body: every labelled voxel is tissue, never air; the corners are air; bone exists.
        float minOrgan = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != 0) minOrgan = Math.min(minOrgan, data[i]);
            max = Math.max(max, data[i]);
        }
        assertTrue(minOrgan > -150, "an organ voxel at " + minOrgan + " HU");
        assertEquals(-1000, v.value(0, 0, 0), 60);
        assertEquals(-1000, v.value(95, 95, 23), 60);
        assertTrue(max > 650, "no bone: max " + max);
        // The liver is on the patient's right: small voxel x with this LPS-like affine; the spleen on the left.
        assertTrue(centroidX(labels, 6) < 48 && centroidX(labels, 1) > 48);
    }

    @Test
    void synapseCasesDifferAndTheSameSeedRewritesIdenticalBytes() throws IOException {
        SynthOptions o = new SynthOptions(3, 48, 8, 11);
        SynthResult a = SynapseSynth.write(dir.resolve("a"), o), b = SynapseSynth.write(dir.resolve("b"), o);
        assertSameBytes(a, b);
        SynthResult c = SynapseSynth.write(dir.resolve("c"), new SynthOptions(3, 48, 8, 12));
        assertFalse(Files.mismatch(a.files().get(1), c.files().get(1)) < 0, "another seed, another label map");
        assertFalse(Files.mismatch(a.files().get(1), a.files().get(3)) < 0, "cases differ");
        // A case does not depend on how many cases were asked for.
        SynthResult d = SynapseSynth.write(dir.resolve("d"), new SynthOptions(1, 48, 8, 11));
        assertEquals(-1, Files.mismatch(a.files().get(0), d.files().get(0)));
    }

    @Test
    void acdcTreeHasTwoFramesPerPatientAndTheLlmTransUNetSplits() {
        SynthResult r = AcdcSynth.write(dir.resolve("acdc"), new SynthOptions(3, 48, 6, 5));
        assertEquals(List.of(1, 21, 31), AcdcSynth.patients(3));
        Listing l = AcdcLayout.llmTransUNet().list(r.root());
        assertEquals(List.of(), l.rejected());
        assertEquals(6, l.cases().size());
        assertEquals(Map.of(Split.TRAIN, 2, Split.VAL, 2, Split.TEST, 2),
                Map.of(Split.TRAIN, l.countsBySplit().get(Split.TRAIN), Split.VAL, l.countsBySplit().get(Split.VAL),
                        Split.TEST, l.countsBySplit().get(Split.TEST)));
        CaseRef ed = l.cases().get(0);
        assertEquals("patient001_frame01", ed.caseId());
        assertEquals("ED", ed.attribute("phase").orElseThrow());
        assertEquals("DCM", ed.attribute("group").orElseThrow());
        assertEquals("ES", l.cases().get(1).attribute("phase").orElseThrow());
    }

    @Test
    void acdcFramesAreCineLikeWithAContractingLeftVentricle() {
        SynthResult r = AcdcSynth.write(dir.resolve("acdc"), new SynthOptions(1, 96, 8, 5));
        List<CaseRef> cases = AcdcLayout.llmTransUNet().cases(r.root());
        Volume ed = READER.read(cases.get(0).image());
        LabelVolume edGt = READER.readLabels(cases.get(0).label().orElseThrow());
        LabelVolume esGt = READER.readLabels(cases.get(1).label().orElseThrow());
        assertEquals(List.of(96, 96, 8), List.of(ed.nx(), ed.ny(), ed.nz()));
        assertArrayEquals(new double[]{320.0 / 96, 320.0 / 96, 10}, ed.spacing(), 1e-5);
        assertEquals("int16", ed.datatype());
        int[] edCount = counts(edGt), esCount = counts(esGt);
        assertEquals(4, edCount.length);
        for (int c = 1; c <= 3; c++) assertTrue(edCount[c] > 50, "class " + c + ": " + edCount[c]);
        assertTrue(esCount[3] < 0.8 * edCount[3], "LV cavity ED " + edCount[3] + " vs ES " + esCount[3]);
        // Blood is bright, muscle dark; the myocardium encloses the cavity on a mid slice.
        double[] mean = new double[4], n = new double[4];
        for (int i = 0; i < edGt.ids().length; i++) {
            mean[edGt.ids()[i]] += ed.data()[i];
            n[edGt.ids()[i]]++;
        }
        assertTrue(mean[3] / n[3] > 2 * mean[2] / n[2], "blood vs myocardium");
        int z = 5;
        double cx = 0, cy = 0, k = 0;
        for (int y = 0; y < 96; y++) for (int x = 0; x < 96; x++) if (edGt.id(x, y, z) == 3) { cx += x; cy += y; k++; }
        int x0 = (int) Math.round(cx / k), y0 = (int) Math.round(cy / k);
        assertEquals(3, edGt.id(x0, y0, z));
        for (int[] d : new int[][]{{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
            int x = x0, y = y0;
            while (edGt.id(x, y, z) == 3) { x += d[0]; y += d[1]; }
            assertEquals(2, edGt.id(x, y, z), "the cavity is bounded by myocardium");
        }
    }

    @Test
    void acdcIsDeterministic() throws IOException {
        SynthOptions o = new SynthOptions(2, 32, 3, 9);
        assertSameBytes(AcdcSynth.write(dir.resolve("a"), o), AcdcSynth.write(dir.resolve("b"), o));
    }

    @Test
    void optionsAndOutputFolderAreChecked() throws IOException {
        assertThrows(IllegalArgumentException.class, () -> new SynthOptions(0, 96, 24, 1));
        assertThrows(IllegalArgumentException.class, () -> new SynthOptions(1, 5000, 24, 1));
        Files.writeString(dir.resolve("keep.txt"), "x");
        var e = assertThrows(IllegalArgumentException.class, () -> SynapseSynth.write(dir, SynapseSynth.DEFAULTS));
        assertTrue(e.getMessage().contains("is not empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SyntheticDatasets.write("msd", dir.resolve("x"), BusiSynth.DEFAULTS));
        assertTrue(e.getMessage().contains("choose one of synapse, acdc, isic2017, busi"), e.getMessage());
    }

    static void assertSameBytes(SynthResult a, SynthResult b) throws IOException {
        assertEquals(a.files().size(), b.files().size());
        for (int i = 0; i < a.files().size(); i++) {
            assertEquals(a.root().relativize(a.files().get(i)), b.root().relativize(b.files().get(i)));
            assertEquals(-1, Files.mismatch(a.files().get(i), b.files().get(i)), a.files().get(i) + " differs");
        }
    }

    static double mean(double[] sumCount) {
        return sumCount[0] / sumCount[1];
    }

    static double centroidX(LabelVolume l, int id) {
        double s = 0, n = 0;
        for (int z = 0; z < l.nz(); z++) for (int y = 0; y < l.ny(); y++) for (int x = 0; x < l.nx(); x++) {
            if (l.id(x, y, z) == id) { s += x; n++; }
        }
        return s / n;
    }

    static int[] counts(LabelVolume l) {
        int[] c = new int[l.maxId() + 1];
        for (int id : l.ids()) c[id]++;
        return c;
    }
}
