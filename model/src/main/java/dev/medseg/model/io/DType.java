package dev.medseg.model.io;

import java.util.Locale;
import java.util.Optional;

/** Element types a tensor file can hold, with their size in bytes. */
public enum DType {
    F16(2, true), BF16(2, true), F32(4, true), F64(8, true),
    I8(1, false), U8(1, false), I16(2, false), I32(4, false), I64(8, false), BOOL(1, false);

    private final int size;
    private final boolean floating;

    DType(int size, boolean floating) {
        this.size = size;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** True for the floating-point types, which {@link TensorSource#readFloat} converts exactly. */
    public boolean isFloating() {
        return floating;
    }

    /** The safetensors header spelling ("F16", "BF16", ..., "BOOL"), which is the enum name. */
    public String safetensorsName() {
        return name();
    }

    /** Parses a safetensors dtype string; empty for one we do not know. */
    public static Optional<DType> fromSafetensorsName(String s) {
        for (DType d : values()) {
            if (d.name().equals(s)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
