package dev.medseg.model.metrics;

import java.util.BitSet;

/**
 * An immutable binary mask on a {@link Grid}, one bit per voxel (a 512x512x200 mask takes 6.5 MB).
 * Voxel {@code i} is foreground when bit {@code i} is set; indices follow {@link Grid#index}.
 */
public final class BinaryMask {

    private final Grid grid;
    private final BitSet bits;
    private final int count;

    /** Takes ownership of {@code bits}; callers inside the package must not keep a reference. */
    BinaryMask(Grid grid, BitSet bits) {
        if (bits.length() > grid.size()) {
            throw new IllegalArgumentException("bit " + (bits.length() - 1) + " is outside grid " + grid);
        }
        this.grid = grid;
        this.bits = bits;
        this.count = bits.cardinality();
    }

    /** A mask with no foreground voxel. */
    public static BinaryMask empty(Grid grid) {
        return new BinaryMask(grid, new BitSet());
    }

    /** A mask from one boolean per voxel in memory order (copied). */
    public static BinaryMask of(Grid grid, boolean[] voxels) {
        grid.requireLength(voxels.length, "mask array");
        BitSet bits = new BitSet(voxels.length);
        for (int i = 0; i < voxels.length; i++) {
            if (voxels[i]) {
                bits.set(i);
            }
        }
        return new BinaryMask(grid, bits);
    }

    /** A mask from a bit set in memory order (copied); bits beyond the grid are an error. */
    public static BinaryMask of(Grid grid, BitSet bits) {
        return new BinaryMask(grid, (BitSet) bits.clone());
    }

    /** A mask whose foreground is {@code probabilities[i] > threshold}, as the 2-D reference code thresholds. */
    public static BinaryMask above(Grid grid, float[] probabilities, double threshold) {
        grid.requireLength(probabilities.length, "probability array");
        BitSet bits = new BitSet(probabilities.length);
        for (int i = 0; i < probabilities.length; i++) {
            if (probabilities[i] > threshold) {
                bits.set(i);
            }
        }
        return new BinaryMask(grid, bits);
    }

    /** The grid this mask lives on. */
    public Grid grid() {
        return grid;
    }

    /** Whether voxel {@code index} is foreground. */
    public boolean get(int index) {
        if (index < 0 || index >= grid.size()) {
            throw new IndexOutOfBoundsException("voxel " + index + " outside grid " + grid);
        }
        return bits.get(index);
    }

    /** Whether voxel (x, y, z) is foreground. */
    public boolean get(int x, int y, int z) {
        if (x < 0 || y < 0 || z < 0 || x >= grid.nx() || y >= grid.ny() || z >= grid.nz()) {
            throw new IndexOutOfBoundsException("voxel (" + x + ", " + y + ", " + z + ") outside grid " + grid);
        }
        return bits.get(grid.index(x, y, z));
    }

    /** Number of foreground voxels. */
    public int count() {
        return count;
    }

    /** True when no voxel is foreground. */
    public boolean isEmpty() {
        return count == 0;
    }

    /** Number of voxels foreground in both masks. */
    public int intersectionCount(BinaryMask other) {
        requireSameGrid(other);
        BitSet and = (BitSet) bits.clone();
        and.and(other.bits);
        return and.cardinality();
    }

    /** A copy of the foreground bits. */
    public BitSet toBitSet() {
        return (BitSet) bits.clone();
    }

    /** One boolean per voxel in memory order. */
    public boolean[] toBooleanArray() {
        boolean[] out = new boolean[grid.size()];
        for (int i = bits.nextSetBit(0); i >= 0; i = bits.nextSetBit(i + 1)) {
            out[i] = true;
        }
        return out;
    }

    /** Read-only access for the package's loops, avoiding a copy. */
    BitSet bitsView() {
        return bits;
    }

    void requireSameGrid(BinaryMask other) {
        if (!grid.equals(other.grid)) {
            throw new IllegalArgumentException("masks live on different grids: " + grid + " vs " + other.grid);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BinaryMask m && grid.equals(m.grid) && bits.equals(m.bits);
    }

    @Override
    public int hashCode() {
        return 31 * grid.hashCode() + bits.hashCode();
    }

    @Override
    public String toString() {
        return "BinaryMask[" + grid + ", count=" + count + "]";
    }
}
