package dev.medseg.data.io;

/**
 * The NIfTI-1 scalar datatypes this project reads and writes (header field {@code datatype}, with the
 * {@code bitpix} each implies). RGB, complex and float128 codes are recognised only to be rejected by name.
 */
public enum NiftiDatatype {
    UINT8(2, 8, true, false),
    INT16(4, 16, true, true),
    INT32(8, 32, true, true),
    FLOAT32(16, 32, false, true),
    FLOAT64(64, 64, false, true),
    INT8(256, 8, true, true),
    UINT16(512, 16, true, false),
    UINT32(768, 32, true, false),
    INT64(1024, 64, true, true),
    UINT64(1280, 64, true, false);

    private final int code;
    private final int bitpix;
    private final boolean integer;
    private final boolean signed;

    NiftiDatatype(int code, int bitpix, boolean integer, boolean signed) {
        this.code = code;
        this.bitpix = bitpix;
        this.integer = integer;
        this.signed = signed;
    }

    /** The header's {@code datatype} code. */
    public int code() {
        return code;
    }

    /** Bits per voxel, the header's {@code bitpix}. */
    public int bitpix() {
        return bitpix;
    }

    /** Bytes per voxel. */
    public int bytes() {
        return bitpix / 8;
    }

    /** True for the integer types (labels can be stored exactly). */
    public boolean isInteger() {
        return integer;
    }

    /** True when the integer type is signed (always true for the float types). */
    public boolean isSigned() {
        return signed;
    }

    /** Lowest value the type can hold (integer types; -inf for floats). */
    public double minValue() {
        if (!integer) {
            return Double.NEGATIVE_INFINITY;
        }
        return signed ? -Math.pow(2, bitpix - 1) : 0;
    }

    /** Highest value the type can hold (integer types; +inf for floats), as the nearest double: 2^63 for int64. */
    public double maxValue() {
        if (!integer) {
            return Double.POSITIVE_INFINITY;
        }
        return signed ? Math.pow(2, bitpix - 1) - 1 : Math.pow(2, bitpix) - 1;
    }

    /** The datatype with this code, or null when the code is not a supported scalar type. */
    public static NiftiDatatype fromCode(int code) {
        for (NiftiDatatype t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /** Standard name of any NIfTI-1 datatype code, including the unsupported ones, for error messages. */
    static String describeCode(int code) {
        NiftiDatatype t = fromCode(code);
        if (t != null) {
            return t.name().toLowerCase(java.util.Locale.ROOT);
        }
        return switch (code) {
            case 0 -> "unknown (0)";
            case 1 -> "binary (1)";
            case 32 -> "complex64 (32)";
            case 128 -> "rgb24 (128)";
            case 255 -> "all (255)";
            case 1536 -> "float128 (1536)";
            case 1792 -> "complex128 (1792)";
            case 2048 -> "complex256 (2048)";
            case 2304 -> "rgba32 (2304)";
            default -> "unknown code " + code;
        };
    }
}
