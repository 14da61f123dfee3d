package dev.medseg.data.prep;

import java.util.Locale;

/** Resampling kernels, named after scipy.ndimage.zoom's {@code order} (0 nearest, 1 linear, 3 cubic B-spline). */
public enum Interpolation {
    NEAREST(0),
    LINEAR(1),
    CUBIC(3);

    private final int order;

    Interpolation(int order) {
        this.order = order;
    }

    /** scipy's spline order for this kernel. */
    public int order() {
        return order;
    }

    /** Parses {@code nearest}, {@code linear} (or {@code bilinear}) and {@code cubic} (or {@code bicubic}). */
    public static Interpolation parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "nearest" -> NEAREST;
            case "linear", "bilinear" -> LINEAR;
            case "cubic", "bicubic" -> CUBIC;
            default -> throw new IllegalArgumentException("unknown interpolation '" + text + "'; expected linear or cubic");
        };
    }

    /** The lower-case name used in configs and the manifest. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
