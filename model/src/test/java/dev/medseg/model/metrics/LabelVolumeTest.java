package dev.medseg.model.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LabelVolumeTest {

    @Test
    void byteAndShortIdsAreUnsigned() {
        Grid g = Grid.of2d(3, 1);
        LabelVolume bytes = LabelVolume.ofBytes(g, new byte[] {(byte) 255, 1, (byte) 200});
        assertEquals(255, bytes.label(0));
        assertArrayEquals(new boolean[] {false, false, true}, bytes.mask(200).toBooleanArray());
        LabelVolume shorts = LabelVolume.ofShorts(g, new short[] {(short) 40000, 3, 3});
        assertEquals(40000, shorts.label(0));
        assertArrayEquals(new boolean[] {false, true, true}, shorts.mask(3).toBooleanArray());
    }

    @Test
    void wrapsWithoutCopying() {
        int[] labels = {0, 1, 1, 0};
        LabelVolume v = LabelVolume.ofInts(new Grid(2, 2, 1), labels);
        labels[0] = 1; // documented: the view sees the caller's array
        assertEquals(3, v.mask(1).count());
    }

    @Test
    void maskIndicesFollowMemoryOrder() {
        Grid g = new Grid(2, 3, 2);
        byte[] labels = new byte[g.size()];
        labels[g.index(1, 2, 1)] = 4;
        BinaryMask m = LabelVolume.ofBytes(g, labels).mask(4);
        assertEquals(1, m.count());
        assertEquals(true, m.get(1, 2, 1));
        assertEquals(11, g.index(1, 2, 1));
    }

    @Test
    void rejectsWrongLength() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LabelVolume.ofBytes(new Grid(2, 2, 2), new byte[7]));
        assertEquals("label array has 7 elements but grid Grid[nx=2, ny=2, nz=2] needs 8", e.getMessage());
    }
}
