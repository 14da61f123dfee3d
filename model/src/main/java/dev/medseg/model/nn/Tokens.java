package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;

/** Conversions between token rows (B·N, D), row-major over a g×g grid, and NCHW maps (B, D, g, g). */
public final class Tokens {
    private Tokens() {}

    /** (B·N, D) → (B, D, g, g). */
    public static SDVariable toGrid(SDVariable tokens, int d, int grid) {
        return tokens.reshape(-1, (long) grid * grid, d).permute(0, 2, 1).reshape(-1, d, grid, grid);
    }

    /** (B, D, g, g) → (B·N, D). */
    public static SDVariable fromGrid(SDVariable map, int d, int n) {
        return map.reshape(-1, d, n).permute(0, 2, 1).reshape(-1, d);
    }
}
