package dev.medseg.data.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Golden values come from tests/fixtures/layouts/seeded_split_reference.py, an independent Python implementation. */
class SeededSplitTest {

    private static final List<String> TEN = IntStream.range(0, 10).mapToObj(i -> "id" + i).toList();

    @Test
    void splitMix64MatchesPublishedVectors() {
        // Rosetta Code "Pseudo-random numbers/Splitmix64", seed 1234567 (unsigned outputs).
        SeededSplit.SplitMix64 r = new SeededSplit.SplitMix64(1234567);
        List<String> expected = List.of("6457827717110365317", "3203168211198807973", "9817491932198370423",
                "4593380528125082431", "16408922859458223821");
        for (String e : expected) {
            assertEquals(e, Long.toUnsignedString(r.next()));
        }
    }

    @Test
    void paperSplitOfTenIdsIsPinned() {
        assertEquals(List.of("id9", "id5", "id0", "id4", "id8", "id7", "id6", "id1", "id2", "id3"),
                SeededSplit.PAPER.shuffled(TEN));
        Map<String, Split> split = SeededSplit.PAPER.assign(TEN);
        assertEquals(List.of("id5", "id9"), idsOf(split, Split.TEST));
        assertEquals(List.of("id0", "id4"), idsOf(split, Split.VAL));
        assertEquals(List.of("id1", "id2", "id3", "id6", "id7", "id8"), idsOf(split, Split.TRAIN));
    }

    @Test
    void numericStemsSortAsTextAndArePinned() {
        List<String> ids = IntStream.rangeClosed(1, 25).mapToObj(Integer::toString).toList();
        Map<String, Split> split = SeededSplit.PAPER.assign(ids);
        assertEquals(List.of("14", "16", "17", "2", "22"), idsOf(split, Split.TEST));
        assertEquals(List.of("10", "24", "25", "4"), idsOf(split, Split.VAL));
        assertEquals(16, idsOf(split, Split.TRAIN).size());
    }

    @Test
    void otherFractionsAndSeedArePinned() {
        Map<String, Split> split = new SeededSplit(0.3, 0.5, 7).assign(TEN);
        assertEquals(List.of("id1", "id5", "id8"), idsOf(split, Split.TEST));
        assertEquals(List.of("id0", "id3", "id4", "id9"), idsOf(split, Split.VAL));
        assertEquals(List.of("id2", "id6", "id7"), idsOf(split, Split.TRAIN));
    }

    @Test
    void sizesFollowCeilLikeScikitLearn() {
        for (int n = 1; n <= 60; n++) {
            List<String> ids = IntStream.range(0, n).mapToObj(i -> "c" + i).toList();
            Map<String, Split> split = SeededSplit.PAPER.assign(ids);
            int nTest = (int) Math.ceil(n * 0.2);
            int nVal = (int) Math.ceil((n - nTest) * 0.2);
            assertEquals(nTest, idsOf(split, Split.TEST).size(), "n=" + n);
            assertEquals(nVal, idsOf(split, Split.VAL).size(), "n=" + n);
            assertEquals(n - nTest - nVal, idsOf(split, Split.TRAIN).size(), "n=" + n);
        }
        // BUSI's 780 images: 156 test, 125 val, 499 train.
        List<String> busi = IntStream.range(0, 780).mapToObj(i -> "b" + i).toList();
        Map<String, Split> split = SeededSplit.PAPER.assign(busi);
        assertEquals(List.of(156, 125, 499), List.of(idsOf(split, Split.TEST).size(), idsOf(split, Split.VAL).size(),
                idsOf(split, Split.TRAIN).size()));
    }

    @Test
    void disjointCompleteAndIndependentOfInputOrder() {
        List<String> ids = new ArrayList<>(IntStream.range(0, 97).mapToObj(i -> "case" + i).toList());
        Map<String, Split> first = SeededSplit.PAPER.assign(ids);
        assertEquals(new HashSet<>(ids), first.keySet()); // a Map: every id exactly once, hence disjoint
        Collections.reverse(ids);
        assertEquals(first, SeededSplit.PAPER.assign(ids));
        Collections.shuffle(ids, new java.util.Random(3));
        assertEquals(first, SeededSplit.PAPER.assign(ids));
        assertTrue(!first.equals(new SeededSplit(0.2, 0.2, 42).assign(ids)), "another seed gives another split");
    }

    @Test
    void zeroFractionsGiveAllTrainAndEmptyInputIsEmpty() {
        assertEquals(Set.of(Split.TRAIN), new HashSet<>(new SeededSplit(0, 0, 41).assign(TEN).values()));
        assertTrue(SeededSplit.PAPER.assign(List.of()).isEmpty());
    }

    @Test
    void boundedDrawIsInRangeForLargeBounds() {
        SeededSplit.SplitMix64 r = new SeededSplit.SplitMix64(5);
        long bound = (1L << 62) + 12345;
        for (int i = 0; i < 1000; i++) {
            long v = r.nextBelow(bound);
            assertTrue(v >= 0 && v < bound);
        }
        assertThrows(IllegalArgumentException.class, () -> r.nextBelow(0));
    }

    @Test
    void rejectsDuplicatesAndBadFractions() {
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                () -> SeededSplit.PAPER.assign(List.of("a", "b", "a")));
        assertTrue(dup.getMessage().contains("distinct"), dup.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SeededSplit(1.0, 0.2, 41));
        assertThrows(IllegalArgumentException.class, () -> new SeededSplit(0.2, -0.1, 41));
        assertThrows(IllegalArgumentException.class, () -> new SeededSplit(Double.NaN, 0.2, 41));
    }

    private static List<String> idsOf(Map<String, Split> split, Split which) {
        return split.entrySet().stream().filter(e -> e.getValue() == which).map(Map.Entry::getKey).sorted().toList();
    }
}
