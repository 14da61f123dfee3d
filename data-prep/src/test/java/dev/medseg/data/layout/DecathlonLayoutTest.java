package dev.medseg.data.layout;

import static dev.medseg.data.layout.FakeTree.ids;
import static dev.medseg.data.layout.FakeTree.touch;
import static dev.medseg.data.layout.FakeTree.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecathlonLayoutTest {

    @TempDir
    Path root;

    private static final String MSD_HEAD = "{\"name\": \"LeftAtrium\", \"modality\": {\"0\": \"MRI\"},"
            + " \"labels\": {\"0\": \"background\", \"1\": \"left atrium\"},";

    @Test
    void msdDatasetJsonWithTrainingAndTestLists() {
        List<String> ids = IntStream.rangeClosed(1, 10).mapToObj(i -> String.format("la_%03d", i)).toList();
        String training = ids.stream().map(id -> "{\"image\": \"./imagesTr/" + id + ".nii.gz\", \"label\": \"./labelsTr/" + id + ".nii.gz\"}")
                .collect(Collectors.joining(", "));
        write(root, "dataset.json", MSD_HEAD + " \"training\": [" + training + "], \"test\": [\"./imagesTs/la_050.nii.gz\"]}");
        ids.forEach(id -> touch(root, "imagesTr/" + id + ".nii.gz", "labelsTr/" + id + ".nii.gz"));
        touch(root, "imagesTs/la_050.nii.gz", "imagesTr/._la_001.nii.gz"); // macOS resource fork shipped in MSD tars
        Listing listing = new DecathlonLayout().list(root);
        assertTrue(listing.isClean(), listing.rejected().toString());
        assertEquals("LeftAtrium", listing.dataset());
        assertEquals(11, listing.cases().size());
        assertEquals(List.of("la_050"), ids(listing.cases(Split.UNLABELLED)));
        // The same split as SeededSplit on the ten ids: sizes 2 / 2 / 6.
        Map<String, Split> expected = SeededSplit.PAPER.assign(ids);
        listing.cases().stream().filter(CaseRef::isLabelled).forEach(c -> assertEquals(expected.get(c.caseId()), c.split()));
        assertEquals(List.of(2, 2, 6), List.of(listing.cases(Split.TEST).size(), listing.cases(Split.VAL).size(),
                listing.cases(Split.TRAIN).size()));
        CaseRef first = listing.cases().get(0);
        assertEquals(root.resolve("imagesTr/la_001.nii.gz"), first.image());
        assertEquals(List.of(root.resolve("labelsTr/la_001.nii.gz")), first.labels());
        assertEquals(Map.of("channel", "0", "channel_name", "MRI"), first.attributes());
        assertEquals(List.of("background", "left atrium"), listing.labelMap().classNames());
    }

    @Test
    void nnUnetV2NamingWithoutLists() {
        write(root, "dataset.json", "{\"channel_names\": {\"0\": \"CT\", \"1\": \"PET\"}, \"labels\": {\"background\": 0, \"tumor\": 2, \"organ\": 1},"
                + " \"numTraining\": 3, \"file_ending\": \".nii.gz\"}");
        touch(root, "imagesTr/case_a_0000.nii.gz", "imagesTr/case_a_0001.nii.gz", "labelsTr/case_a.nii.gz",
                "imagesTr/case_b_0000.nii.gz", "imagesTr/case_b_0001.nii.gz", "labelsTr/case_b.nii.gz",
                "imagesTr/case_c_0001.nii.gz", "labelsTr/case_c.nii.gz",  // channel 0 absent
                "imagesTr/case_d.nii.gz",                                 // no channel suffix
                "imagesTs/case_x_0000.nii.gz", "imagesTs/case_x_0001.nii.gz");
        Listing listing = new DecathlonLayout().list(root);
        assertEquals(root.getFileName().toString(), listing.dataset());
        assertEquals(List.of("case_a", "case_b", "case_x"), ids(listing.cases()));
        assertEquals(root.resolve("imagesTr/case_a_0000.nii.gz"), listing.cases().get(0).image());
        assertEquals(Split.UNLABELLED, listing.cases().get(2).split());
        assertEquals(Map.of("channel", "0", "channel_name", "CT"), listing.cases().get(0).attributes());
        assertEquals(List.of("background", "organ", "tumor"), listing.labelMap().classNames());
        assertEquals(2, listing.labelMap().apply(2));
        assertEquals(List.of(
                new Rejected(root.resolve("imagesTr/case_c_0001.nii.gz"), LayoutProblem.MISSING_IMAGE,
                        "case 'case_c' has no file for the selected channel 0000"),
                new Rejected(root.resolve("imagesTr/case_d.nii.gz"), LayoutProblem.UNRECOGNISED_FILE,
                        "expected nnU-Net naming <case>_0000<ext> (four-digit channel)"),
                new Rejected(root.resolve("labelsTr/case_c.nii.gz"), LayoutProblem.MISSING_IMAGE,
                        "no image for case 'case_c'; expected " + root.resolve("imagesTr/case_c_0000.nii.gz"))),
                listing.rejected());

        Listing pet = new DecathlonLayout(SeededSplit.PAPER, 1).list(root);
        assertEquals(root.resolve("imagesTr/case_c_0001.nii.gz"), pet.cases().stream()
                .filter(c -> c.caseId().equals("case_c")).findFirst().orElseThrow().image());
        assertEquals("PET", pet.cases().get(0).attributes().get("channel_name"));
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> new DecathlonLayout(SeededSplit.PAPER, 2).list(root));
        assertTrue(e.getMessage().contains("selected channel 2 is not among the channels [0, 1]"), e.getMessage());
    }

    @Test
    void bothLabelFormsGiveTheSameMap() {
        Path json = root.resolve("dataset.json");
        LabelMap msd = DecathlonLayout.labelMap(StrictJson.parse("{\"0\": \"background\", \"1\": \"edema\", \"2\": \"non-enhancing\", \"3\": \"enhancing\"}", "x"), json);
        LabelMap v2 = DecathlonLayout.labelMap(StrictJson.parse("{\"background\": 0, \"edema\": 1, \"non-enhancing\": 2, \"enhancing\": 3}", "x"), json);
        assertEquals(msd, v2);
        assertEquals(Map.of(0, 0, 1, 1, 2, 2, 3, 3), msd.sourceToTarget());
        // Non-contiguous ids are compacted in id order.
        LabelMap gap = DecathlonLayout.labelMap(StrictJson.parse("{\"0\": \"background\", \"5\": \"b\", \"2\": \"a\"}", "x"), json);
        assertEquals(Map.of(0, 0, 2, 1, 5, 2), gap.sourceToTarget());
        assertEquals(List.of("background", "a", "b"), gap.classNames());
    }

    @Test
    void malformedLabelsAreClearErrors() {
        Path json = root.resolve("dataset.json");
        assertLabelsError("{\"background\": 0, \"whole tumor\": [1, 2, 3]}", json, "region labels");
        assertLabelsError("{\"0\": \"background\", \"1\": 1}", json, "must map ids to names");
        assertLabelsError("{\"1\": \"a\"}", json, "no id 0");
        assertLabelsError("{\"x\": \"a\"}", json, "label key 'x' is not a label id");
        assertLabelsError("{\"background\": 0, \"a\": 1.5}", json, "label 'a' has id 1.5");
        assertLabelsError("{\"background\": 0, \"a\": 0}", json, "label id 0 appears twice");
        assertLabelsError("{}", json, "'labels' must be a non-empty object");
        assertLabelsError("[]", json, "'labels' must be a non-empty object");
    }

    private static void assertLabelsError(String labels, Path json, String fragment) {
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class,
                () -> DecathlonLayout.labelMap(StrictJson.parse(labels, "x"), json));
        assertTrue(e.getMessage().startsWith(json.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void listedPathsMissingUnsafeOrMalformedAreRejected() {
        write(root, "dataset.json", MSD_HEAD + " \"training\": ["
                + "{\"image\": \"./imagesTr/a.nii.gz\", \"label\": \"./labelsTr/a.nii.gz\"},"
                + "{\"image\": \"./imagesTr/b.nii.gz\", \"label\": \"./labelsTr/b.nii.gz\"},"
                + "{\"image\": \"./imagesTr/c.nii.gz\", \"label\": \"./labelsTr/c.nii.gz\"},"
                + "{\"image\": \"../outside.nii.gz\", \"label\": \"./labelsTr/d.nii.gz\"},"
                + "{\"image\": \"./imagesTr/e.nii.gz\"},"
                + "{\"image\": \"./imagesTr/a.nii.gz\", \"label\": \"./labelsTr/a.nii.gz\"}"
                + "], \"test\": [\"./imagesTs/t.nii.gz\", 3]}");
        touch(root, "imagesTr/a.nii.gz", "labelsTr/a.nii.gz", "imagesTr/b.nii.gz", "labelsTr/c.nii.gz", "imagesTr/stray.nii.gz");
        Listing listing = new DecathlonLayout().list(root);
        assertEquals(List.of(), listing.cases());
        Path json = root.resolve("dataset.json");
        List<String> got = listing.rejected().stream().map(r -> root.relativize(r.file()) + " " + r.problem()).toList();
        assertEquals(List.of(
                "dataset.json MALFORMED_METADATA", "dataset.json MALFORMED_METADATA", "dataset.json MALFORMED_METADATA",
                "imagesTr/a.nii.gz DUPLICATE_CASE_ID", "imagesTr/a.nii.gz DUPLICATE_CASE_ID",
                "imagesTr/b.nii.gz MISSING_LABEL", "imagesTr/stray.nii.gz UNRECOGNISED_FILE",
                "imagesTs/t.nii.gz MISSING_IMAGE",
                "labelsTr/a.nii.gz DUPLICATE_CASE_ID", "labelsTr/a.nii.gz DUPLICATE_CASE_ID",
                "labelsTr/c.nii.gz MISSING_IMAGE"), got);
        List<String> jsonDetails = listing.rejected().stream().filter(r -> r.file().equals(json)).map(Rejected::detail).sorted().toList();
        assertEquals(List.of("test[1] is not an image path",
                "training[3].image '../outside.nii.gz' points outside the dataset root",
                "training[4] is not an object with string 'image' and 'label'"), jsonDetails);
    }

    @Test
    void badRootsAndBadJson() {
        DatasetLayoutException none = assertThrows(DatasetLayoutException.class, () -> new DecathlonLayout().list(root));
        assertTrue(none.getMessage().contains("has no dataset.json"), none.getMessage());
        assertTrue(none.getMessage().contains("labelsTr/x.nii.gz"), none.getMessage());
        write(root, "dataset.json", "{\"labels\": {\"0\": \"background\"},}");
        DatasetLayoutException bad = assertThrows(DatasetLayoutException.class, () -> new DecathlonLayout().list(root));
        assertTrue(bad.getMessage().startsWith(root.resolve("dataset.json") + ": invalid JSON at line 1"), bad.getMessage());
        write(root, "dataset.json", "[1]");
        assertThrows(DatasetLayoutException.class, () -> new DecathlonLayout().list(root));
        write(root, "dataset.json", "{\"labels\": {\"0\": \"background\"}, \"training\": {}}");
        DatasetLayoutException list = assertThrows(DatasetLayoutException.class, () -> new DecathlonLayout().list(root));
        assertTrue(list.getMessage().contains("'training' must be a list"), list.getMessage());
        write(root, "dataset.json", "{\"labels\": {\"0\": \"background\"}}");
        DatasetLayoutException empty = assertThrows(DatasetLayoutException.class, () -> new DecathlonLayout().list(root));
        assertTrue(empty.getMessage().contains("no images in imagesTr/ or imagesTs/"), empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DecathlonLayout(SeededSplit.PAPER, -1));
    }
}
