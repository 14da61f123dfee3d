package dev.medseg.data.layout;

import static dev.medseg.data.layout.FakeTree.ids;
import static dev.medseg.data.layout.FakeTree.touch;
import static dev.medseg.data.layout.FakeTree.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcdcLayoutTest {

    @TempDir
    Path root;

    // A patient folder with ED/ES frames, their _gt files, the 4-D sequence and Info.cfg.
    private void patient(String subset, int number, int ed, int es, boolean withGt) {
        String p = String.format("patient%03d", number);
        String dir = subset + "/" + p + "/";
        for (int frame : new int[] {ed, es}) {
            String f = String.format("%s_frame%02d", p, frame);
            touch(root, dir + f + ".nii.gz");
            if (withGt) {
                touch(root, dir + f + "_gt.nii.gz");
            }
        }
        touch(root, dir + p + "_4d.nii.gz");
        write(root, dir + "Info.cfg", "ED: " + ed + "\nES: " + es + "\nGroup: DCM\nHeight: 184.0\nNbFrame: 30\nWeight: 95.0\n");
    }

    @Test
    void llmTransUNetSplitByPatientNumber() {
        for (int p : new int[] {1, 20, 21, 30, 31, 100}) {
            patient("training", p, 1, 12, true);
        }
        patient("testing", 101, 1, 9, true);
        patient("testing", 102, 1, 9, false);
        Listing listing = AcdcLayout.llmTransUNet().list(root);
        assertTrue(listing.isClean(), listing.rejected().toString());
        assertEquals(List.of("patient001_frame01", "patient001_frame12", "patient020_frame01", "patient020_frame12"),
                ids(listing.cases(Split.TEST)));
        assertEquals(List.of("patient021_frame01", "patient021_frame12", "patient030_frame01", "patient030_frame12"),
                ids(listing.cases(Split.VAL)));
        assertEquals(List.of("patient031_frame01", "patient031_frame12", "patient100_frame01", "patient100_frame12"),
                ids(listing.cases(Split.TRAIN)));
        assertEquals(List.of("patient101_frame01", "patient101_frame09"), ids(listing.cases(Split.HOLDOUT)));
        assertEquals(List.of("patient102_frame01", "patient102_frame09"), ids(listing.cases(Split.UNLABELLED)));
        assertEquals(16, listing.cases().size()); // the _4d volumes are not cases

        CaseRef es = listing.cases().stream().filter(c -> c.caseId().equals("patient001_frame12")).findFirst().orElseThrow();
        assertEquals(root.resolve("training/patient001/patient001_frame12.nii.gz"), es.image());
        assertEquals(List.of(root.resolve("training/patient001/patient001_frame12_gt.nii.gz")), es.labels());
        assertEquals(Map.of("patient", "patient001", "frame", "12", "phase", "ES", "group", "DCM", "subset", "training"),
                es.attributes());
        assertEquals("ED", listing.cases().get(0).attributes().get("phase"));
        assertEquals(List.of("background", "RV", "Myo", "LV"), listing.labelMap().classNames());
    }

    @Test
    void configurableRangesAndDatabaseFolder() {
        Path db = root.resolve("database");
        patient("database/training", 5, 1, 10, true);
        patient("database/training", 50, 1, 10, true);
        AcdcLayout layout = new AcdcLayout(List.of(new AcdcLayout.PatientRange(1, 10, Split.VAL)), Split.TRAIN);
        Listing listing = layout.list(root);
        assertEquals(List.of("patient005_frame01", "patient005_frame10"), ids(listing.cases(Split.VAL)));
        assertEquals(List.of("patient050_frame01", "patient050_frame10"), ids(listing.cases(Split.TRAIN)));
        assertTrue(Files.isDirectory(db));
        assertThrows(IllegalArgumentException.class, () -> new AcdcLayout(List.of(new AcdcLayout.PatientRange(1, 10, Split.VAL),
                new AcdcLayout.PatientRange(10, 20, Split.TEST)), Split.TRAIN));
        assertThrows(IllegalArgumentException.class, () -> new AcdcLayout.PatientRange(5, 4, Split.TEST));
        assertThrows(IllegalArgumentException.class, () -> new AcdcLayout.PatientRange(1, 4, Split.UNLABELLED));
    }

    @Test
    void infoCfgParsing() {
        Path ok = write(root, "a/Info.cfg", "ED: 1\r\nES:12\r\n\r\nGroup:  MINF \r\n");
        assertEquals(Map.of("ED", "1", "ES", "12", "Group", "MINF"), AcdcLayout.parseInfo(ok));
        assertInfoError("b", "ED: 1\nED: 2\n", "line 2 repeats key ED");
        assertInfoError("c", "ED: one\n", "ED must be a frame number, got 'one'");
        assertInfoError("d", "ED 1\n", "line 1 is not 'Key: value'");
        assertInfoError("e", "ED: 3\nES: 3\n", "ED and ES name the same frame 3");
        assertInfoError("f", "x".repeat((int) AcdcLayout.MAX_INFO_BYTES + 1), "exceeds the limit");
        Path binary = root.resolve("g/Info.cfg");
        try {
            Files.createDirectories(binary.getParent());
            Files.write(binary, new byte[] {'E', 'D', ':', (byte) 0xC3});
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> AcdcLayout.parseInfo(binary));
        assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
    }

    private void assertInfoError(String dir, String text, String fragment) {
        Path f = write(root, dir + "/Info.cfg", text);
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> AcdcLayout.parseInfo(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void missingOrMalformedInfoKeepsFrameNumbersAndIsReported() {
        touch(root, "training/patient040/patient040_frame01.nii.gz", "training/patient040/patient040_frame01_gt.nii.gz");
        patient("training", 41, 1, 11, true);
        write(root, "training/patient041/Info.cfg", "ED = 1\n");
        Listing listing = AcdcLayout.llmTransUNet().list(root);
        assertEquals(3, listing.cases().size());
        listing.cases().forEach(c -> assertEquals(null, c.attributes().get("phase"), c.caseId()));
        assertEquals("11", listing.cases().get(2).attributes().get("frame"));
        assertEquals(1, listing.rejected().size());
        Rejected r = listing.rejected().get(0);
        assertEquals(root.resolve("training/patient041/Info.cfg"), r.file());
        assertEquals(LayoutProblem.MALFORMED_METADATA, r.problem());
        assertTrue(r.detail().contains("line 1 is not 'Key: value'"), r.detail());
    }

    @Test
    void missingPartnersStrayFilesAndCrossPatientFilesAreRejected() {
        touch(root, "training/patient031/patient031_frame01.nii.gz",       // no _gt in training: rejected
                "training/patient031/patient031_frame12_gt.nii.gz",         // no image
                "training/patient031/patient032_frame01.nii.gz",            // wrong patient folder
                "training/patient031/patient031_frame01_seg.nii.gz",        // unknown name
                "training/patient031/patient031_4d.nii.gz",                 // ignored
                "training/patient031/MANDATORY_CITATION.md",                // ignored
                "training/notapatient/x.nii.gz");                           // not a patient folder: ignored
        Listing listing = AcdcLayout.llmTransUNet().list(root);
        assertEquals(List.of(), listing.cases());
        Path dir = root.resolve("training/patient031");
        assertEquals(List.of(
                        new Rejected(dir.resolve("patient031_frame01.nii.gz"), LayoutProblem.MISSING_LABEL,
                                "no label for case 'patient031_frame01'; expected " + dir.resolve("patient031_frame01_gt.nii.gz")),
                        new Rejected(dir.resolve("patient031_frame01_seg.nii.gz"), LayoutProblem.UNRECOGNISED_FILE,
                                "expected patient031_frameNN.nii.gz, patient031_frameNN_gt.nii.gz or patient031_4d.nii.gz"),
                        new Rejected(dir.resolve("patient031_frame12_gt.nii.gz"), LayoutProblem.MISSING_IMAGE,
                                "no image for case 'patient031_frame12'; expected " + dir.resolve("patient031_frame12.nii.gz")),
                        new Rejected(dir.resolve("patient032_frame01.nii.gz"), LayoutProblem.UNRECOGNISED_FILE,
                                "belongs to patient032 but lies in the folder of patient031")),
                listing.rejected());
    }

    @Test
    void samePatientInTrainingAndTestingIsADuplicate() {
        patient("training", 101, 1, 9, true);
        patient("testing", 101, 1, 9, true);
        Listing listing = AcdcLayout.llmTransUNet().list(root);
        assertEquals(List.of(), listing.cases());
        assertEquals(8, listing.rejected().size());
        assertTrue(listing.rejected().stream().allMatch(r -> r.problem() == LayoutProblem.DUPLICATE_CASE_ID));
    }

    @Test
    void badRoots() {
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> AcdcLayout.llmTransUNet().list(root));
        assertTrue(e.getMessage().contains("has neither a training/ nor a testing/ folder"), e.getMessage());
        assertTrue(e.getMessage().contains("training/patient001/patient001_frame01_gt.nii.gz"), e.getMessage());
        touch(root, "training/readme.txt");
        DatasetLayoutException empty = assertThrows(DatasetLayoutException.class, () -> AcdcLayout.llmTransUNet().list(root));
        assertTrue(empty.getMessage().contains("holds no patientNNN_frameNN volumes"), empty.getMessage());
    }
}
