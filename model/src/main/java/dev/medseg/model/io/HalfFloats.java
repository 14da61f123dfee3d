package dev.medseg.model.io;

/**
 * Exact conversions between f32 and the 16-bit float formats (IEEE binary16 and bfloat16).
 * Java 17 has no {@code Float.float16ToFloat}, so the bit manipulation lives here.
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** The f32 value of an IEEE half (low 16 bits of {@code h}); exact, including subnormals, infinities and NaN payloads. */
    public static float halfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {
            // zero or subnormal: mant * 2^-24 is exactly representable as a normal f32
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** The nearest IEEE half to {@code f}, ties to even (as numpy and torch round); overflow gives infinity. */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            // NaN stays a (quiet) NaN with the top of its payload; infinity stays infinity
            return (short) (mant != 0 ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00);
        }
        int e = exp - 127;
        if (e > 15) {
            return (short) (sign | 0x7c00);
        }
        if (e >= -14) {
            int h = sign | ((e + 15) << 10) | (mant >>> 13);
            int rest = mant & 0x1fff;
            if (rest > 0x1000 || (rest == 0x1000 && (h & 1) == 1)) {
                h++; // a carry into the exponent is the correct rounding, up to infinity
            }
            return (short) h;
        }
        if (e < -25) {
            return (short) sign; // below half the smallest subnormal (f32 subnormals included)
        }
        int m = mant | 0x800000;
        int shift = -e - 1; // 14..24: aligns m * 2^(e-23) to units of 2^-24
        int h = m >>> shift;
        int rest = m & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rest > half || (rest == half && (h & 1) == 1)) {
            h++;
        }
        return (short) (sign | h);
    }

    /** The f32 value of a bfloat16 (low 16 bits of {@code b}); always exact. */
    public static float bfloat16ToFloat(int b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** The nearest bfloat16 to {@code f}, ties to even (as torch rounds); NaN stays a quiet NaN. */
    public static short floatToBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
