package dev.medseg.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    @Test
    void everyHalfWidensToItsExactValue() {
        for (int h = 0; h < 0x10000; h++) {
            int sign = (h >>> 15) == 1 ? -1 : 1;
            int exp = (h >>> 10) & 0x1f;
            int mant = h & 0x3ff;
            float got = HalfFloats.halfToFloat(h);
            if (exp == 0x1f) {
                assertTrue(mant == 0 ? got == sign * Float.POSITIVE_INFINITY : Float.isNaN(got), "h=" + h);
                continue;
            }
            // IEEE binary16 by definition, computed in double
            double want = exp == 0 ? sign * mant * Math.pow(2, -24) : sign * (1 + mant / 1024.0) * Math.pow(2, exp - 15);
            assertEquals((float) want, got, 0f, "h=" + Integer.toHexString(h));
            assertEquals(h >>> 15, Float.floatToRawIntBits(got) >>> 31, "sign of h=" + h); // -0 stays -0
        }
    }

    @Test
    void halfRoundTripsThroughFloat() {
        for (int h = 0; h < 0x10000; h++) {
            if (((h >>> 10) & 0x1f) == 0x1f && (h & 0x3ff) != 0) {
                continue; // NaN payloads are normalised to quiet NaNs
            }
            assertEquals(h, HalfFloats.floatToHalf(HalfFloats.halfToFloat(h)) & 0xffff, "h=" + Integer.toHexString(h));
        }
        assertEquals(0x7e00, HalfFloats.floatToHalf(Float.NaN) & 0xffff);
    }

    @Test
    void roundingMatchesNumpyAndTorch() {
        Map<String, Object> r = Fixtures.expected("rounding");
        long[] in = Fixtures.longs(r.get("f32bits"));
        long[] f16 = Fixtures.longs(r.get("f16bits"));
        long[] bf16 = Fixtures.longs(r.get("bf16bits"));
        assertTrue(in.length > 1000);
        for (int i = 0; i < in.length; i++) {
            float f = Float.intBitsToFloat((int) in[i]);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(HalfFloats.halfToFloat(HalfFloats.floatToHalf(f))));
                assertTrue(Float.isNaN(HalfFloats.bfloat16ToFloat(HalfFloats.floatToBfloat16(f))));
                continue;
            }
            assertEquals(f16[i], HalfFloats.floatToHalf(f) & 0xffff, "f16 of " + f);
            assertEquals(bf16[i], HalfFloats.floatToBfloat16(f) & 0xffff, "bf16 of " + f);
        }
    }

    @Test
    void handPickedRoundingCases() {
        // 1 + 2^-11 is exactly halfway between 1 and 1 + 2^-10: ties to the even neighbour, 1
        assertEquals(0x3c00, HalfFloats.floatToHalf(1f + 0x1p-11f) & 0xffff);
        // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even): rounds up
        assertEquals(0x3c02, HalfFloats.floatToHalf(1f + 3 * 0x1p-11f) & 0xffff);
        assertEquals(0x7bff, HalfFloats.floatToHalf(65519f) & 0xffff); // largest half
        assertEquals(0x7c00, HalfFloats.floatToHalf(65520f) & 0xffff); // ties up to infinity
        assertEquals(0x0001, HalfFloats.floatToHalf(0x1p-24f) & 0xffff); // smallest subnormal
        assertEquals(0x0000, HalfFloats.floatToHalf(0x1p-25f) & 0xffff); // tie to even zero
        assertEquals(0x8000, HalfFloats.floatToHalf(-0f) & 0xffff);
        assertEquals(1f, HalfFloats.bfloat16ToFloat(0x3f80));
        assertEquals(0x3f80, HalfFloats.floatToBfloat16(1f + 0x1p-8f) & 0xffff); // tie to even
        assertEquals(0x3f82, HalfFloats.floatToBfloat16(1f + 3 * 0x1p-8f) & 0xffff);
        List.of(0f, -2.5f, 3.140625f).forEach(f ->
                assertEquals(f, HalfFloats.bfloat16ToFloat(HalfFloats.floatToBfloat16(f))));
    }
}
