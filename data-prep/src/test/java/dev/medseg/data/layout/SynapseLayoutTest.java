package dev.medseg.data.layout;

import static dev.medseg.data.layout.FakeTree.ids;
import static dev.medseg.data.layout.FakeTree.touch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynapseLayoutTest {

    @TempDir
    Path root;

    private void labelledCase(String n) {
        touch(root, "RawData/Training/img/img" + n + ".nii.gz", "RawData/Training/label/label" + n + ".nii.gz");
    }

    @Test
    void fullTransUNetTreeGives18Train12TestAndUnlabelledTesting() {
        List<String> all = new ArrayList<>(SynapseLayout.TRANSUNET_TRAIN);
        all.addAll(SynapseLayout.TRANSUNET_TEST);
        all.forEach(this::labelledCase);
        touch(root, "RawData/Testing/img/img0061.nii.gz", "RawData/Testing/img/img0062.nii");
        Listing listing = SynapseLayout.transUNet().list(root);
        assertTrue(listing.isClean(), listing.rejected().toString());
        assertEquals(18, listing.cases(Split.TRAIN).size());
        assertEquals(12, listing.cases(Split.TEST).size());
        assertEquals(List.of("case0061", "case0062"), ids(listing.cases(Split.UNLABELLED)));
        assertEquals(32, listing.cases().size());
        CaseRef c5 = listing.cases().stream().filter(c -> c.caseId().equals("case0005")).findFirst().orElseThrow();
        assertEquals(root.resolve("RawData/Training/img/img0005.nii.gz"), c5.image());
        assertEquals(List.of(root.resolve("RawData/Training/label/label0005.nii.gz")), c5.labels());
        assertEquals(Map.of("subset", "training"), c5.attributes());
        assertEquals("synapse", c5.dataset());
        assertEquals(9, listing.labelMap().numClasses());
        CaseRef test = listing.cases(Split.UNLABELLED).get(1);
        assertEquals(root.resolve("RawData/Testing/img/img0062.nii"), test.image());
        assertEquals(Map.of("subset", "testing"), test.attributes());
    }

    @Test
    void casesAreSortedAndRootMayBeRawData() {
        labelledCase("0008");
        labelledCase("0001");
        labelledCase("0005");
        Path rawData = root.resolve("RawData");
        Listing listing = new SynapseLayout(List.of("0005"), List.of("0008"), List.of("0001"), Split.HOLDOUT).list(rawData);
        assertEquals(List.of("case0001", "case0005", "case0008"), ids(listing.cases()));
        assertEquals(List.of(Split.TEST, Split.TRAIN, Split.VAL), listing.cases().stream().map(CaseRef::split).toList());
    }

    @Test
    void unlistedLabelledCasesTakeTheConfiguredSplit() {
        labelledCase("0005");
        labelledCase("0099");
        Listing holdout = new SynapseLayout(List.of("0005"), List.of(), List.of(), Split.HOLDOUT).list(root);
        assertEquals(List.of("case0099"), ids(holdout.cases(Split.HOLDOUT)));
        Listing train = new SynapseLayout(List.of(), List.of(), List.of("0005"), Split.TRAIN).list(root);
        assertEquals(List.of("case0099"), ids(train.cases(Split.TRAIN)));
    }

    @Test
    void missingPartnersDuplicatesStrayFilesAndMissingListedCasesAreRejected() {
        labelledCase("0005");
        touch(root, "RawData/Training/img/img0006.nii.gz");            // no label
        touch(root, "RawData/Training/label/label0007.nii.gz");        // no image
        touch(root, "RawData/Training/img/img0009.nii.gz", "RawData/Training/img/img0009.nii",
                "RawData/Training/label/label0009.nii.gz");             // two images for one id
        touch(root, "RawData/Training/img/image0010.nii.gz");          // wrong name
        touch(root, "RawData/Training/img/notes.txt", "RawData/Training/img/.DS_Store"); // ignored
        Listing listing = new SynapseLayout(List.of("0005", "0006", "0040"), List.of(), List.of(), Split.HOLDOUT).list(root);
        assertEquals(List.of("case0005"), ids(listing.cases()));
        Path img = root.resolve("RawData/Training/img");
        Path lab = root.resolve("RawData/Training/label");
        List<Rejected> expected = List.of(
                new Rejected(img.resolve("image0010.nii.gz"), LayoutProblem.UNRECOGNISED_FILE, "expected a name like img0001.nii.gz"),
                new Rejected(img.resolve("img0006.nii.gz"), LayoutProblem.MISSING_LABEL,
                        "no label for case 'case0006'; expected " + lab.resolve("label0006.nii.gz")),
                new Rejected(img.resolve("img0009.nii"), LayoutProblem.DUPLICATE_CASE_ID, ""),
                new Rejected(img.resolve("img0009.nii.gz"), LayoutProblem.DUPLICATE_CASE_ID, ""),
                new Rejected(img.resolve("img0040.nii.gz"), LayoutProblem.MISSING_CASE,
                        "case0040 is listed for train but neither its image nor its label exists"),
                new Rejected(lab.resolve("label0007.nii.gz"), LayoutProblem.MISSING_IMAGE,
                        "no image for case 'case0007'; expected " + img.resolve("img0007.nii.gz")),
                new Rejected(lab.resolve("label0009.nii.gz"), LayoutProblem.DUPLICATE_CASE_ID, ""));
        assertEquals(expected.size(), listing.rejected().size(), listing.rejected().toString());
        for (int i = 0; i < expected.size(); i++) {
            Rejected e = expected.get(i);
            Rejected a = listing.rejected().get(i);
            assertEquals(e.file(), a.file());
            assertEquals(e.problem(), a.problem());
            if (!e.detail().isEmpty()) {
                assertEquals(e.detail(), a.detail());
            }
        }
        assertTrue(listing.rejected().get(2).detail().contains("img0009.nii.gz"), listing.rejected().get(2).detail());
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> SynapseLayout.transUNet().cases(root));
        assertTrue(e.getMessage().contains("rejected"), e.getMessage());
    }

    @Test
    void badRootsNameTheFolderAndTheExpectedLayout() {
        Path missing = root.resolve("nope");
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> SynapseLayout.transUNet().list(missing));
        assertTrue(e.getMessage().contains(missing + " does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains("RawData/Training/img/img0001.nii.gz"), e.getMessage());
        DatasetLayoutException empty = assertThrows(DatasetLayoutException.class, () -> SynapseLayout.transUNet().list(root));
        assertTrue(empty.getMessage().startsWith("synapse layout: dataset root " + root + " has neither"), empty.getMessage());
        touch(root, "RawData/Training/img/readme.txt");
        DatasetLayoutException noCases = assertThrows(DatasetLayoutException.class,
                () -> new SynapseLayout(List.of(), List.of(), List.of(), Split.HOLDOUT).list(root));
        assertTrue(noCases.getMessage().contains("holds no img*/label* volumes"), noCases.getMessage());
        touch(root, "afile");
        assertThrows(DatasetLayoutException.class, () -> SynapseLayout.transUNet().list(root.resolve("afile")));
        assertTrue(Files.isRegularFile(root.resolve("afile")));
    }

    @Test
    void splitListsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new SynapseLayout(List.of("5"), List.of(), List.of(), Split.HOLDOUT));
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> new SynapseLayout(List.of("0005"), List.of(), List.of("0005"), Split.HOLDOUT));
        assertTrue(both.getMessage().contains("both TRAIN and TEST"), both.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SynapseLayout(List.of(), List.of(), List.of(), Split.UNLABELLED));
    }
}
