package dev.medseg.data.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecordsTest {

    private static final Path IMG = Path.of("img.png");

    @Test
    void splitPartitionValuesAreLowerCaseAndParse() {
        assertEquals(List.of("train", "val", "test", "holdout", "unlabelled"),
                List.of(Split.values()).stream().map(Split::partitionValue).toList());
        for (Split s : Split.values()) {
            assertEquals(s, Split.fromPartitionValue(s.partitionValue()));
        }
        assertEquals(Split.VAL, Split.fromPartitionValue(" VAL "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Split.fromPartitionValue("validation"));
        assertTrue(e.getMessage().contains("train, val, test"), e.getMessage());
    }

    @Test
    void caseRefTiesUnlabelledToHavingNoLabels() {
        assertThrows(IllegalArgumentException.class,
                () -> new CaseRef("d", "a", IMG, List.of(), Split.TRAIN, Map.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new CaseRef("d", "a", IMG, List.of(Path.of("m.png")), Split.UNLABELLED, Map.of()));
        CaseRef unlabelled = new CaseRef("d", "a", IMG, List.of(), Split.UNLABELLED, Map.of());
        assertEquals(Optional.empty(), unlabelled.label());
        assertThrows(IllegalArgumentException.class, () -> new CaseRef("d", " ", IMG, List.of(), Split.UNLABELLED, Map.of()));
    }

    @Test
    void caseRefLabelAccessAndAttributes() {
        CaseRef one = new CaseRef("d", "a", IMG, List.of(Path.of("m.png")), Split.TEST, Map.of("z", "1", "a", "2"));
        assertEquals(Optional.of(Path.of("m.png")), one.label());
        assertEquals(List.of("a", "z"), List.copyOf(one.attributes().keySet()));
        assertEquals(Optional.of("1"), one.attribute("z"));
        assertEquals(Split.TRAIN, one.withSplit(Split.TRAIN).split());
        CaseRef two = new CaseRef("d", "b", IMG, List.of(Path.of("m.png"), Path.of("m_1.png")), Split.TRAIN, Map.of());
        assertThrows(IllegalStateException.class, two::label);
        assertThrows(UnsupportedOperationException.class, () -> two.labels().add(IMG));
    }

    @Test
    void listingSortsAndRefusesDuplicateIdsAndReportsRejections() {
        CaseRef b = new CaseRef("d", "b", IMG, List.of(IMG), Split.TRAIN, Map.of());
        CaseRef a = new CaseRef("d", "a", IMG, List.of(IMG), Split.TEST, Map.of());
        Listing clean = new Listing("d", Path.of("/r"), LabelMap.binary("x"), List.of(b, a), List.of());
        assertEquals(List.of("a", "b"), FakeTree.ids(clean.cases()));
        assertEquals(List.of(a), clean.cases(Split.TEST));
        assertEquals(1, clean.countsBySplit().get(Split.TRAIN));
        assertEquals(0, clean.countsBySplit().get(Split.VAL));
        assertEquals(clean.cases(), clean.requireClean());
        assertThrows(IllegalArgumentException.class,
                () -> new Listing("d", Path.of("/r"), LabelMap.binary("x"), List.of(a, a), List.of()));

        Listing dirty = new Listing("d", Path.of("/r"), LabelMap.binary("x"), List.of(a),
                List.of(new Rejected(Path.of("/r/z.png"), LayoutProblem.MISSING_LABEL, "no mask"),
                        new Rejected(Path.of("/r/y.png"), LayoutProblem.MISSING_IMAGE, "no image")));
        assertEquals(Path.of("/r/y.png"), dirty.rejected().get(0).file());
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, dirty::requireClean);
        assertTrue(e.getMessage().contains("2 file(s) rejected"), e.getMessage());
        assertTrue(e.getMessage().contains("MISSING_LABEL /r/z.png: no mask"), e.getMessage());
    }
}
