package dev.medseg.data.layout;

import static dev.medseg.data.layout.FakeTree.ids;
import static dev.medseg.data.layout.FakeTree.touch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TwoDimensionalLayoutsTest {

    @TempDir
    Path root;

    @Test
    void isicKeepsTheOfficialSplitAndIgnoresSuperpixelsAndMetadata() {
        touch(root, "ISIC-2017_Training_Data/ISIC_0000000.jpg", "ISIC-2017_Training_Data/ISIC_0000000_superpixels.png",
                "ISIC-2017_Training_Data/ISIC-2017_Training_Data_metadata.csv", "ISIC-2017_Training_Data/LICENSE.txt",
                "ISIC-2017_Training_Part1_GroundTruth/ISIC_0000000_segmentation.png",
                "ISIC-2017_Training_Data/ISIC_0000001.jpg",
                "ISIC-2017_Training_Part1_GroundTruth/ISIC_0000001_segmentation.png",
                "ISIC-2017_Validation_Data/ISIC_0001769.jpg",
                "ISIC-2017_Validation_Part1_GroundTruth/ISIC_0001769_segmentation.png",
                "ISIC-2017_Test_v2_Data/ISIC_0012086.jpg",
                "ISIC-2017_Test_v2_Part1_GroundTruth/ISIC_0012086_segmentation.png");
        Listing listing = new Isic2017Layout().list(root);
        assertTrue(listing.isClean(), listing.rejected().toString());
        assertEquals(List.of("ISIC_0000000", "ISIC_0000001"), ids(listing.cases(Split.TRAIN)));
        assertEquals(List.of("ISIC_0001769"), ids(listing.cases(Split.VAL)));
        assertEquals(List.of("ISIC_0012086"), ids(listing.cases(Split.TEST)));
        CaseRef test = listing.cases(Split.TEST).get(0);
        assertEquals(root.resolve("ISIC-2017_Test_v2_Data/ISIC_0012086.jpg"), test.image());
        assertEquals(List.of(root.resolve("ISIC-2017_Test_v2_Part1_GroundTruth/ISIC_0012086_segmentation.png")), test.labels());
        assertEquals(Map.of("subset", "test"), test.attributes());
    }

    @Test
    void isicRejectsMissingGroundTruthFolderEntriesAndDuplicatesAcrossSplits() {
        touch(root, "ISIC-2017_Validation_Data/ISIC_0001769.jpg",             // GT folder absent
                "ISIC-2017_Training_Data/ISIC_0000000.jpg",
                "ISIC-2017_Training_Part1_GroundTruth/ISIC_0000000_segmentation.png",
                "ISIC-2017_Test_v2_Data/ISIC_0000000.jpg",                     // same id as a training image
                "ISIC-2017_Test_v2_Part1_GroundTruth/ISIC_0000000_segmentation.png",
                "ISIC-2017_Training_Data/photo.jpg");
        Listing listing = new Isic2017Layout().list(root);
        assertEquals(List.of(), listing.cases());
        List<String> got = listing.rejected().stream().map(r -> root.relativize(r.file()) + " " + r.problem()).toList();
        assertEquals(List.of(
                "ISIC-2017_Test_v2_Data/ISIC_0000000.jpg DUPLICATE_CASE_ID",
                "ISIC-2017_Test_v2_Part1_GroundTruth/ISIC_0000000_segmentation.png DUPLICATE_CASE_ID",
                "ISIC-2017_Training_Data/ISIC_0000000.jpg DUPLICATE_CASE_ID",
                "ISIC-2017_Training_Data/photo.jpg UNRECOGNISED_FILE",
                "ISIC-2017_Training_Part1_GroundTruth/ISIC_0000000_segmentation.png DUPLICATE_CASE_ID",
                "ISIC-2017_Validation_Data/ISIC_0001769.jpg MISSING_LABEL"), got);
        assertTrue(listing.rejected().get(5).detail().endsWith(
                root.resolve("ISIC-2017_Validation_Part1_GroundTruth/ISIC_0001769_segmentation.png").toString()));
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> new Isic2017Layout().list(root.resolve("ISIC-2017_Training_Data")));
        assertTrue(e.getMessage().contains("has no ISIC-2017_*_Data"), e.getMessage());
    }

    @Test
    void busiPairsAllMasksInIndexOrderAndRecordsTheClass() {
        String base = "Dataset_BUSI_with_GT/";
        touch(root, base + "benign/benign (1).png", base + "benign/benign (1)_mask.png",
                base + "benign/benign (1)_mask_2.png", base + "benign/benign (1)_mask_10.png", base + "benign/benign (1)_mask_1.png",
                base + "benign/benign (2).png", base + "benign/benign (2)_mask.png",
                base + "malignant/malignant (1).png", base + "malignant/malignant (1)_mask.png",
                base + "normal/normal (1).png", base + "normal/normal (1)_mask.png");
        Listing listing = new BusiLayout().list(root);
        assertTrue(listing.isClean(), listing.rejected().toString());
        assertEquals(List.of("benign (1)", "benign (2)", "malignant (1)", "normal (1)"), ids(listing.cases()));
        CaseRef b1 = listing.cases().get(0);
        Path dir = root.resolve(base + "benign");
        assertEquals(dir.resolve("benign (1).png"), b1.image());
        assertEquals(List.of(dir.resolve("benign (1)_mask.png"), dir.resolve("benign (1)_mask_1.png"),
                dir.resolve("benign (1)_mask_2.png"), dir.resolve("benign (1)_mask_10.png")), b1.labels());
        assertEquals(Map.of("class", "benign"), b1.attributes());
        assertEquals("normal", listing.cases().get(3).attributes().get("class"));
        Map<String, Split> expected = SeededSplit.PAPER.assign(ids(listing.cases()));
        listing.cases().forEach(c -> assertEquals(expected.get(c.caseId()), c.split()));
        // The root may be the Dataset_BUSI_with_GT folder itself.
        assertEquals(ids(listing.cases()), ids(new BusiLayout().list(root.resolve(base)).cases()));
    }

    @Test
    void busiRejectsOrphansAndIdsRepeatedAcrossClasses() {
        touch(root, "benign/benign (3).png",                      // no mask
                "benign/benign (4)_mask.png",                      // no image
                "benign/x (1).png", "benign/x (1)_mask.png",
                "malignant/x (1).png", "malignant/x (1)_mask.png", // same id in two classes
                "normal/normal (1).png", "normal/normal (1)_mask.png");
        Listing listing = new BusiLayout().list(root);
        assertEquals(List.of("normal (1)"), ids(listing.cases()));
        List<String> got = listing.rejected().stream().map(r -> root.relativize(r.file()) + " " + r.problem()).toList();
        assertEquals(List.of("benign/benign (3).png MISSING_LABEL", "benign/benign (4)_mask.png MISSING_IMAGE",
                "benign/x (1).png DUPLICATE_CASE_ID", "benign/x (1)_mask.png DUPLICATE_CASE_ID",
                "malignant/x (1).png DUPLICATE_CASE_ID", "malignant/x (1)_mask.png DUPLICATE_CASE_ID"), got);
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> new BusiLayout().list(root.resolve("benign")));
        assertTrue(e.getMessage().contains("has none of the class folders [benign, malignant, normal]"), e.getMessage());
    }

    @Test
    void cvcClinicDbPairsByStemAcrossMirrorSpellings() {
        IntStream.rangeClosed(1, 12).forEach(i -> touch(root, "PNG/Original/" + i + ".png", "PNG/Ground truth/" + i + ".png"));
        touch(root, "PNG/Original/Thumbs.db");
        Listing listing = new CvcClinicDbLayout().list(root);
        assertTrue(listing.isClean(), listing.rejected().toString());
        assertEquals(12, listing.cases().size());
        assertEquals("1", listing.cases().get(0).caseId());
        assertEquals(root.resolve("PNG/Ground truth/1.png"), listing.cases().get(0).labels().get(0));
        assertEquals(List.of(3, 2, 7), List.of(listing.cases(Split.TEST).size(), listing.cases(Split.VAL).size(),
                listing.cases(Split.TRAIN).size()));
        assertEquals("cvc-clinicdb", listing.dataset());
        assertEquals(SeededSplit.PAPER.assign(ids(listing.cases())).get("7"), listing.cases().stream()
                .filter(c -> c.caseId().equals("7")).findFirst().orElseThrow().split());
    }

    @Test
    void cvcClinicDbOriginalTifAndPartnerProblems() {
        touch(root, "Original/1.tif", "Ground Truth/1.tif", "Original/2.tif", "Ground Truth/3.tif",
                "Original/4.tif", "Original/4.png", "Ground Truth/4.tif");
        Listing listing = new CvcClinicDbLayout().list(root);
        assertEquals(List.of("1"), ids(listing.cases()));
        List<String> got = listing.rejected().stream().map(r -> root.relativize(r.file()) + " " + r.problem()).toList();
        assertEquals(List.of("Ground Truth/3.tif MISSING_IMAGE", "Ground Truth/4.tif DUPLICATE_CASE_ID",
                "Original/2.tif MISSING_LABEL", "Original/4.png DUPLICATE_CASE_ID", "Original/4.tif DUPLICATE_CASE_ID"), got);
    }

    @Test
    void cvcColonDbImagesMasksAndOriginalStyle() {
        touch(root, "a/images/1.png", "a/masks/1.png", "a/images/2.png", "a/masks/2.png");
        assertEquals(List.of("1", "2"), ids(new CvcColonDbLayout().list(root.resolve("a")).cases()));
        touch(root, "b/Original/1.tiff", "b/Ground Truth/1.tiff");
        Listing b = new CvcColonDbLayout(new SeededSplit(0, 0, 1)).list(root.resolve("b"));
        assertEquals(List.of("1"), ids(b.cases(Split.TRAIN)));
        assertEquals("cvc-colondb", b.dataset());
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> new CvcColonDbLayout().list(root));
        assertTrue(e.getMessage().startsWith("cvc-colondb layout: dataset root " + root + " has none of the folder pairs [images/ + masks/"),
                e.getMessage());
    }

    @Test
    void imagesMasksPrefersClassFolderZero() {
        touch(root, "images/a.png", "images/b.png", "masks/0/a.png", "masks/0/b.png", "masks/stale.png");
        Listing listing = new ImagesMasksLayout("kvasir", SeededSplit.PAPER).list(root);
        assertTrue(listing.isClean(), listing.rejected().toString());
        assertEquals(List.of("a", "b"), ids(listing.cases()));
        assertEquals(root.resolve("masks/0/a.png"), listing.cases().get(0).labels().get(0));
        assertEquals("kvasir", listing.cases().get(0).dataset());
        assertEquals(List.of("background", "foreground"), listing.labelMap().classNames());
        touch(root, "flat/images/a.png", "flat/masks/a.png", "flat/images/b.jpg");
        Listing flat = new ImagesMasksLayout().list(root.resolve("flat"));
        assertEquals(List.of("a"), ids(flat.cases()));
        assertEquals(LayoutProblem.MISSING_LABEL, flat.rejected().get(0).problem());
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> new ImagesMasksLayout().cases(root.resolve("flat")));
        assertTrue(e.getMessage().contains("MISSING_LABEL " + root.resolve("flat/images/b.jpg")), e.getMessage());
    }

    @Test
    void emptyImageFoldersAreAnError() {
        touch(root, "images/readme.md", "masks/0/readme.md");
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> new ImagesMasksLayout().list(root));
        assertTrue(e.getMessage().contains("holds no image files"), e.getMessage());
        assertTrue(e.getMessage().contains("images/<id>.png"), e.getMessage());
    }
}
