package dev.medseg.job.train;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A worker's end-of-round state as a file in its executor's local directory, for the workers of the next round on the
 * same host ({@code train.exchangeFiles}): they map it from the page cache instead of fetching the block through
 * Spark's block transfer (on loopback five copies and a TCP stream per state; here one).
 *
 * <p>The file is written in place, round after round (a fresh file costs the file system new blocks, ~1 s per
 * 0.4 GB on this VM's ext4 against 0.08 s to overwrite). So a reader may meet a later write, a retried task's or a
 * concurrent run's: every piece is framed by the write's random {@code nonce}, written first before the piece and
 * last after it, and a reader takes a piece only if the nonce after it, then the nonce before it, checked again
 * after copying the piece, are the one the driver was told (a seqlock). Anything else reads as "no file" and the
 * block is fetched instead; the piece's own header is checked against the driver's record as for a block.
 *
 * <p>Layout: per piece {@code p}, at {@link #offset}: nonce (8 bytes, little-endian), the piece's {@link PieceBytes},
 * nonce.
 */
final class StateFile {
    private static final int NONCE = Long.BYTES;

    private StateFile() {}

    /** Where piece {@code p} starts in a file of {@code layout}. */
    static long offset(StatePieces layout, int p) {
        return (long) p * (PieceBytes.HEADER + 2 * NONCE) + layout.start(p) * Float.BYTES;
    }

    /** The size of a file of {@code layout}. */
    static long size(StatePieces layout) {
        return (long) layout.count() * (PieceBytes.HEADER + 2 * NONCE) + layout.total() * Float.BYTES;
    }

    /**
     * Writes the pieces' blocks ({@link PieceBytes#encode}, each of its piece's size in {@code layout}) into
     * {@code file}, overwriting in place, framed by {@code nonce}; the file ends up exactly {@link #size} long.
     */
    static void write(Path file, StatePieces layout, List<ByteBuffer> pieces, long nonce) throws IOException {
        if (pieces.size() != layout.count()) {
            throw new IllegalArgumentException(pieces.size() + " pieces for a layout of " + layout.count());
        }
        Files.createDirectories(file.getParent());
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer mark = ByteBuffer.allocate(NONCE).order(ByteOrder.LITTLE_ENDIAN).putLong(0, nonce);
            for (int p = 0; p < pieces.size(); p++) {
                ByteBuffer piece = pieces.get(p).duplicate();
                long expected = PieceBytes.HEADER + (long) layout.length(p) * Float.BYTES;
                if (piece.remaining() != expected) {
                    throw new IllegalArgumentException("piece " + p + " has " + piece.remaining() + " bytes, the layout says " + expected);
                }
                long at = offset(layout, p);
                // Three writes in this order: a reader that sees this write's values sees its leading nonce too.
                writeFully(out, mark.duplicate(), at);
                writeFully(out, piece, at + NONCE);
                writeFully(out, mark.duplicate(), at + NONCE + expected);
            }
            if (out.size() > size(layout)) out.truncate(size(layout));
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) at += out.write(b, at);
    }

    /**
     * Piece {@code p} of the write {@code nonce} in {@code file}, or null if the file does not hold it whole (gone,
     * shorter, overwritten before or while it was read). A piece whose frame is right but whose bytes are not a piece
     * of this layout is an error naming the file.
     */
    static StatePiece read(Path file, StatePieces layout, int p, long nonce) throws IOException {
        long at = offset(layout, p);
        long len = PieceBytes.HEADER + (long) layout.length(p) * Float.BYTES;
        FileChannel in;
        try {
            in = FileChannel.open(file, StandardOpenOption.READ);
        } catch (java.nio.file.NoSuchFileException gone) {
            return null;
        }
        try (in) {
            if (in.size() < at + len + 2 * NONCE) return null;
            MappedByteBuffer m = in.map(FileChannel.MapMode.READ_ONLY, at, len + 2 * NONCE);
            try {
                m.order(ByteOrder.LITTLE_ENDIAN);
                if (m.getLong(NONCE + (int) len) != nonce) return null; // not (yet) this write's, or not all of it
                VarHandle.acquireFence();
                if (m.getLong(0) != nonce) return null; // a later write began
                StatePiece piece = PieceBytes.decode(m.slice(NONCE, (int) len), file + " (piece " + p + ")");
                VarHandle.loadLoadFence();
                return m.getLong(0) == nonce ? piece : null; // else a later write began while it was copied
            } finally {
                org.apache.spark.storage.StorageUtils.dispose(m);
            }
        }
    }
}
