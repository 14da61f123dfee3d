package dev.medseg.model.train;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class TrainStateTest {
    static byte[] serialize(Object o) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(b)) {
            out.writeObject(o);
        }
        return b.toByteArray();
    }

    static Object deserialize(byte[] bytes) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return in.readObject();
        }
    }

    static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @Test
    void slotsAreZeroOnlyWhenEveryBitIsZero() {
        float[][] slots = {new float[5], new float[5]};
        TrainState s = new TrainState(0, new float[]{1f, 2f, 3f, 4f, 5f}, slots, new float[0]);
        assertTrue(s.slotsAreZero());
        assertTrue(s.withoutSlots().slotsAreZero(), "no slots: nothing to send");
        slots[1][4] = -0f; // not what resetting the slots gives
        assertFalse(s.slotsAreZero());
        slots[1][4] = 0f;
        slots[0][0] = Float.MIN_VALUE;
        assertFalse(s.slotsAreZero());
    }

    @Test
    void javaSerializationRoundTripsEveryBitInFourBytesPerValue() throws Exception {
        SplittableRandom r = new SplittableRandom(5);
        int n = 3 * (1 << 18) + 17; // several 1 MiB blocks and a partial one
        float[] p = random(r, n);
        p[0] = Float.intBitsToFloat(0x7fc00123); // a NaN with a payload
        p[1] = -0f;
        p[2] = Float.MIN_VALUE;
        TrainState s = new TrainState(42, p, new float[][]{random(r, n), random(r, n)}, random(r, 2880));
        byte[] bytes = serialize(s);
        TrainState back = (TrainState) deserialize(bytes);
        assertTrue(s.sameAs(back));
        assertEquals(0x7fc00123, Float.floatToRawIntBits(back.params()[0]));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(back.params()[1]));
        long values = 3L * n + 2880;
        // 4 bytes per value plus ObjectOutputStream's block headers (5 bytes per 1 KiB of custom data)
        assertTrue(bytes.length >= 4 * values && bytes.length < 4 * values * 1.006 + 1024, bytes.length + " bytes");
    }

    @Test
    void emptyVectorsAndNoSlotsRoundTrip() throws Exception {
        TrainState s = new TrainState(0, new float[0], new float[0][], new float[0]);
        assertTrue(s.sameAs((TrainState) deserialize(serialize(s))));
        TrainState one = new TrainState(7, new float[]{1.5f}, new float[][]{{2.5f}}, new float[0]);
        assertTrue(one.sameAs((TrainState) deserialize(serialize(one))));
    }

    @Test
    void aCorruptSlotCountOrLengthIsAnInvalidObject() throws Exception {
        TrainState s = new TrainState(3, new float[]{1, 2, 3}, new float[][]{{4, 5, 6}}, new float[]{7});
        byte[] bytes = serialize(s);
        // The slot count follows the step (a long): find that int and make it absurd.
        int at = indexOf(bytes, ByteBuffer.allocate(12).putLong(3).putInt(1).array());
        assertTrue(at > 0);
        ByteBuffer.wrap(bytes).putInt(at + 8, 1_000_000);
        var e = assertThrows(InvalidObjectException.class, () -> deserialize(bytes));
        assertTrue(e.getMessage().contains("1000000 optimizer slots"), e.getMessage());
        ByteBuffer.wrap(bytes).putInt(at + 8, 1).putInt(at + 12, -5);
        var neg = assertThrows(InvalidObjectException.class, () -> deserialize(bytes));
        assertTrue(neg.getMessage().contains("length -5"), neg.getMessage());
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
