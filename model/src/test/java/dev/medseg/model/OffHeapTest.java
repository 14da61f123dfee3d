package dev.medseg.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.*;

class OffHeapTest {
    @Test
    void fillsInCOrderAndConverts() {
        INDArray a = OffHeap.floats(new long[]{2, 3}, b -> { for (int i = 0; i < 6; i++) b.put(i * 0.5f); });
        assertEquals(Nd4j.createFromArray(new float[][]{{0f, 0.5f, 1f}, {1.5f, 2f, 2.5f}}), a);
        INDArray d = OffHeap.as(a, DataType.DOUBLE);
        assertEquals(DataType.DOUBLE, d.dataType());
        assertEquals(2.5, d.getDouble(1, 2), 0);
        assertTrue(a.wasClosed(), "the float original is freed once converted");
        INDArray f = OffHeap.floats(new long[]{1}, b -> b.put(7f));
        assertSame(f, OffHeap.as(f, DataType.FLOAT));
    }

    @Test
    void anIncompleteFillIsAnError() {
        var e = assertThrows(IllegalStateException.class, () -> OffHeap.floats(new long[]{4}, b -> b.put(1f)));
        assertEquals("filled 1 of 4 elements", e.getMessage());
    }
}
