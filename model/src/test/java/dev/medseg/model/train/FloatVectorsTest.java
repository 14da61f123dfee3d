package dev.medseg.model.train;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.*;

class FloatVectorsTest {
    static float[] values(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i % 7 - 3) * scale + i * 1e-3f;
        return v;
    }

    @Test
    void aWholeVectorRoundTripsBitForBit() {
        float[] v = values(100_003, 0.37f);
        v[5] = Float.NaN;
        v[6] = -0f;
        v[7] = Float.MIN_VALUE;
        INDArray a = Nd4j.create(DataType.FLOAT, v.length);
        assertTrue(FloatVectors.copiesInBulk(a), "a trainer's flat vector takes the one-copy path on the CPU backend");
        FloatVectors.write(a, v);
        assertEquals(v[1234], a.getFloat(1234));
        assertEquals(v[v.length - 1], a.getFloat(v.length - 1));
        assertArrayEquals(v, a.toFloatVector()); // ND4J's own reading agrees
        assertArrayEquals(v, FloatVectors.read(a));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(FloatVectors.read(a)[6]));
    }

    @Test
    void viewsAndOtherShapesTakeNd4jsPathWithTheSameResult() {
        INDArray base = Nd4j.create(DataType.FLOAT, 1000);
        FloatVectors.write(base, values(1000, 1f));
        INDArray inner = base.get(NDArrayIndex.interval(100, 300)); // offset into a larger buffer
        assertFalse(FloatVectors.copiesInBulk(inner));
        float[] w = values(200, -2f);
        FloatVectors.write(inner, w);
        assertArrayEquals(w, FloatVectors.read(inner));
        assertEquals(values(1000, 1f)[99], base.getFloat(99));
        assertEquals(values(1000, 1f)[300], base.getFloat(300));
        assertEquals(w[0], base.getFloat(100));

        INDArray strided = base.get(NDArrayIndex.interval(0, 2, 1000)); // every other value
        float[] expected = new float[500];
        for (int i = 0; i < 500; i++) expected[i] = base.getFloat(2L * i);
        assertArrayEquals(expected, FloatVectors.read(strided));

        INDArray row = Nd4j.create(DataType.FLOAT, 1, 50);
        FloatVectors.write(row, values(50, 3f));
        assertArrayEquals(values(50, 3f), FloatVectors.read(row));
    }

    @Test
    void aLengthMismatchIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> FloatVectors.write(Nd4j.create(DataType.FLOAT, 4), new float[5]));
        assertTrue(e.getMessage().contains("4 values, given 5"), e.getMessage());
    }
}
