package dev.medseg.data.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LabelMapTest {

    @Test
    void btcvToSynapseKeepsTheEightTransUNetOrgans() {
        LabelMap map = LabelMap.btcvToSynapse();
        int[] expected = {0, 1, 2, 3, 4, 0, 5, 6, 7, 0, 0, 8, 0, 0}; // BTCV 0..13, from datasets.md
        for (int id = 0; id < expected.length; id++) {
            assertEquals(expected[id], map.apply(id), "BTCV id " + id);
        }
        assertEquals(9, map.numClasses());
        assertEquals("liver", map.className(map.apply(6)));
        assertEquals("pancreas", map.className(map.apply(11)));
        assertEquals("aorta", map.className(7));
        assertArrayEquals(expected, map.toLookupTable());
    }

    @Test
    void unknownIdsAreReportedNotMappedToBackground() {
        LabelMap map = LabelMap.btcvToSynapse();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> map.apply(14));
        assertTrue(e.getMessage().contains("label id 14"), e.getMessage());
        assertEquals(Set.of(-1, 14, 200), map.unknownIds(0, 6, 14, 200, -1, 14));
        DatasetLayoutException check = assertThrows(DatasetLayoutException.class,
                () -> map.checkKnown("label0001.nii.gz", 0, 1, 14));
        assertTrue(check.getMessage().startsWith("label0001.nii.gz: label ids [14]"), check.getMessage());
        map.checkKnown("ok", 0, 13, 11);
        assertFalse(map.isKnown(-3));
    }

    @Test
    void acdcIsIdentityWithCardiacNames() {
        LabelMap map = LabelMap.acdc();
        assertEquals(List.of("background", "RV", "Myo", "LV"), map.classNames());
        for (int i = 0; i < 4; i++) {
            assertEquals(i, map.apply(i));
        }
        assertEquals(Set.of(4), map.unknownIds(4));
    }

    @Test
    void binaryAcceptsZeroOneAnd255() {
        LabelMap map = LabelMap.binary("polyp");
        assertEquals(0, map.apply(0));
        assertEquals(1, map.apply(1));
        assertEquals(1, map.apply(255));
        assertEquals(Set.of(128), map.unknownIds(128));
        assertEquals(2, map.numClasses());
    }

    @Test
    void constructionIsValidated() {
        assertThrows(IllegalArgumentException.class, () -> new LabelMap(Map.of(0, 2), List.of("bg", "a")));
        assertThrows(IllegalArgumentException.class, () -> new LabelMap(Map.of(-1, 0), List.of("bg")));
        assertThrows(IllegalArgumentException.class, () -> new LabelMap(Map.of(0, 0), List.of("bg", "bg")));
        assertThrows(IllegalArgumentException.class, () -> new LabelMap(Map.of(0, 0), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new LabelMap(Map.of(70_000, 0), List.of("bg")));
    }
}
