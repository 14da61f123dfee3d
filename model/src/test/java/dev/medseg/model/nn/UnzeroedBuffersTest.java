package dev.medseg.model.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.*;

class UnzeroedBuffersTest {
    @Test
    void handsOutCOrderArraysAndFreesEachOnceThroughItsOwnerOnly() {
        UnzeroedBuffers b = new UnzeroedBuffers();
        INDArray a = b.allocate(DataType.FLOAT, new long[]{2, 64, 16, 16});
        assertArrayEquals(new long[]{2, 64, 16, 16}, a.shape());
        assertEquals('c', a.ordering());
        assertEquals(DataType.FLOAT, a.dataType());
        a.assign(3f); // usable by ops: written and read back through libnd4j
        assertEquals(3.0 * a.length(), a.sumNumber().doubleValue(), 1e-3);
        assertEquals(1, b.live());

        INDArray view = a.get(NDArrayIndex.point(0));
        assertTrue(b.holdsMemoryOf(view) && b.holdsMemoryOf(a), "a view's memory is its base's");
        assertFalse(b.free(view), "a view never frees its base");
        assertEquals(1, b.live());
        assertTrue(b.free(a));
        assertTrue(a.wasClosed(), "freed arrays are closed, so a late reader fails instead of reading reused memory");
        assertFalse(b.free(a), "freed once");
        assertFalse(b.holdsMemoryOf(view));
        assertEquals(0, b.live());
        assertEquals(1, b.takeCount());
        assertEquals(0, b.takeCount());
    }

    @Test
    void smallOrNonFloatingArraysAreLeftToLibnd4j() {
        UnzeroedBuffers b = new UnzeroedBuffers();
        assertNull(b.allocate(DataType.FLOAT, new long[]{8, 8}), "zeroing 256 bytes costs less than the JNI path");
        assertNull(b.allocate(DataType.INT, new long[]{1 << 20}));
        assertNull(b.allocate(DataType.FLOAT, new long[]{0, 1 << 20}));
        INDArray d = b.allocate(DataType.DOUBLE, new long[]{1 << 14});
        assertNotNull(d);
        assertTrue(b.free(d));
    }
}
