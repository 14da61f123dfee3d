package dev.medseg.job.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A {@link StatePiece} as the bytes of a block ({@code train.exchange = peers}): a fixed header (the piece and its
 * worker's {@link StatePiece.Stats}) and the values as little-endian floats, written and read with bulk copies.
 * Java serialization would cut the values into 1 KiB blocks and copy them through its own buffer, the costliest
 * part of a worker's wait for its state.
 */
final class PieceBytes {
    /** "MSPC", then the format's version. */
    static final int MAGIC = 0x4d535043, VERSION = 1;
    /** magic, version, piece, worker, step, lossSum, steps, images, computeSeconds, slotsRestarted, fetch, count. */
    static final int HEADER = 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 4 + 8 + 4;

    private PieceBytes() {}

    /** The piece's block: a heap buffer of {@link #HEADER} + 4 bytes per value, positioned at 0. */
    static ByteBuffer encode(StatePiece p) {
        StatePiece.Stats s = p.stats();
        int n = p.length();
        ByteBuffer b = ByteBuffer.allocate(Math.addExact(HEADER, Math.multiplyExact(n, Float.BYTES))).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).putInt(p.piece()).putInt(s.worker()).putLong(s.step()).putDouble(s.lossSum())
                .putInt(s.steps()).putLong(s.images()).putDouble(s.computeSeconds()).putInt(s.slotsRestarted() ? 1 : 0)
                .putDouble(s.stateFetchSeconds()).putInt(n);
        p.putValues(b.asFloatBuffer());
        return b.position(0);
    }

    /** The piece in {@code bytes} (from its position), checked against its own header; {@code what} names it in errors. */
    static StatePiece decode(ByteBuffer bytes, String what) {
        ByteBuffer b = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < HEADER) throw bad(what, b.remaining() + " bytes, shorter than the " + HEADER + "-byte header");
        int magic = b.getInt(), version = b.getInt();
        if (magic != MAGIC || version != VERSION) {
            throw bad(what, String.format("starts with 0x%08x version %d, not a state piece (0x%08x version %d)", magic,
                    version, MAGIC, VERSION));
        }
        int piece = b.getInt(), worker = b.getInt();
        long step = b.getLong();
        double lossSum = b.getDouble();
        int steps = b.getInt();
        long images = b.getLong();
        double compute = b.getDouble();
        int restarted = b.getInt();
        double fetch = b.getDouble();
        int n = b.getInt();
        if (piece < 0 || worker < 0 || n < 0 || (restarted & ~1) != 0 || (long) n * Float.BYTES != b.remaining()) {
            throw bad(what, "header says piece " + piece + " of worker " + worker + " with " + n + " values, "
                    + b.remaining() + " bytes follow");
        }
        float[] v = new float[n];
        b.asFloatBuffer().get(v);
        return StatePiece.of(piece, new StatePiece.Stats(worker, step, lossSum, steps, images, compute, restarted == 1, fetch), v);
    }

    private static IllegalStateException bad(String what, String why) {
        return new IllegalStateException(what + " is not a state piece: " + why);
    }
}
