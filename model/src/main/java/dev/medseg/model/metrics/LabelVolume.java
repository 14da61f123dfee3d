package dev.medseg.model.metrics;

import java.util.BitSet;

/**
 * A label map (one class id per voxel) viewed without copying: the caller's array is wrapped, so it must not
 * change while this view is in use. Byte and short ids are read as unsigned (0..255, 0..65535), as NIfTI
 * uint8/uint16 label files store them. Per-class masks are derived one class at a time, one bit per voxel.
 */
public final class LabelVolume {

    private final Grid grid;
    private final byte[] bytes;
    private final short[] shorts;
    private final int[] ints;

    private LabelVolume(Grid grid, byte[] bytes, short[] shorts, int[] ints) {
        this.grid = grid;
        this.bytes = bytes;
        this.shorts = shorts;
        this.ints = ints;
    }

    /** Wraps unsigned byte labels (not copied). */
    public static LabelVolume ofBytes(Grid grid, byte[] labels) {
        grid.requireLength(labels.length, "label array");
        return new LabelVolume(grid, labels, null, null);
    }

    /** Wraps unsigned short labels (not copied). */
    public static LabelVolume ofShorts(Grid grid, short[] labels) {
        grid.requireLength(labels.length, "label array");
        return new LabelVolume(grid, null, labels, null);
    }

    /** Wraps int labels (not copied); negative ids are allowed and simply never match a class >= 0. */
    public static LabelVolume ofInts(Grid grid, int[] labels) {
        grid.requireLength(labels.length, "label array");
        return new LabelVolume(grid, null, null, labels);
    }

    /** The grid of the label map. */
    public Grid grid() {
        return grid;
    }

    /** The class id at voxel {@code index}. */
    public int label(int index) {
        if (bytes != null) {
            return bytes[index] & 0xFF;
        }
        if (shorts != null) {
            return shorts[index] & 0xFFFF;
        }
        return ints[index];
    }

    /** The binary mask {@code label == classId}. */
    public BinaryMask mask(int classId) {
        int n = grid.size();
        BitSet bits = new BitSet(n);
        // one loop per storage type keeps the hot loop free of type dispatch
        if (bytes != null) {
            for (int i = 0; i < n; i++) {
                if ((bytes[i] & 0xFF) == classId) {
                    bits.set(i);
                }
            }
        } else if (shorts != null) {
            for (int i = 0; i < n; i++) {
                if ((shorts[i] & 0xFFFF) == classId) {
                    bits.set(i);
                }
            }
        } else {
            for (int i = 0; i < n; i++) {
                if (ints[i] == classId) {
                    bits.set(i);
                }
            }
        }
        return new BinaryMask(grid, bits);
    }
}
