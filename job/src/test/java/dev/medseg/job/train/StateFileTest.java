package dev.medseg.job.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class StateFileTest {
    @TempDir Path dir;

    /** A worker's result with {@code params} parameters (and as many momentum values) from {@code base}. */
    private static WorkerSteps.Result result(int worker, int params, float base, double loss) {
        float[] p = new float[params], m = new float[params];
        for (int i = 0; i < params; i++) {
            p[i] = base + i * 1e-3f;
            m[i] = -base * i;
        }
        return new WorkerSteps.Result(worker, new dev.medseg.model.train.TrainState(40, p, new float[][]{m}, new float[]{base}),
                loss, 5, 10, 19.5, false, 0.25);
    }

    private static List<ByteBuffer> encoded(List<StatePiece> pieces) {
        return pieces.stream().map(PieceBytes::encode).toList();
    }

    /** Writes {@code r}'s state as a file of its own layout with {@code nonce}; returns the layout. */
    private static StatePieces written(Path file, WorkerSteps.Result r, long nonce) throws IOException {
        StatePieces layout = StatePieces.of(r.state(), RoundSumTest.PIECE_BYTES);
        StateFile.write(file, layout, encoded(StatePiece.all(r, layout)), nonce);
        return layout;
    }

    /** Overwrites {@code bytes} at {@code at} in {@code file}, as another writer or a damaged disk would. */
    private static void overwrite(Path file, long at, ByteBuffer bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(bytes, at);
        }
    }

    @Test
    void everyPieceComesBackWithItsValuesAndStatsOnlyForItsOwnWrite() throws IOException {
        WorkerSteps.Result r = result(1, 2000, 0.5f, 3.25);
        StatePieces layout = StatePieces.of(r.state(), RoundSumTest.PIECE_BYTES);
        List<StatePiece> pieces = StatePiece.all(r, layout);
        assertTrue(pieces.size() > 2);
        Path file = dir.resolve("exchange/w1-s0-a0.state");
        StateFile.write(file, layout, encoded(pieces), 42L);
        assertEquals(StateFile.size(layout), Files.size(file));
        for (StatePiece p : pieces) {
            StatePiece back = StateFile.read(file, layout, p.piece(), 42L);
            assertEquals(p.piece(), back.piece());
            assertEquals(p.stats(), back.stats());
            assertArrayEquals(p.values(), back.values());
            assertNull(StateFile.read(file, layout, p.piece(), 43L), "another write's nonce: not this piece");
        }

        // Written over in place by a later round: the earlier nonce finds nothing, the later one its own values.
        WorkerSteps.Result later = result(1, 2000, -2f, 1.5);
        List<StatePiece> laterPieces = StatePiece.all(later, layout);
        StateFile.write(file, layout, encoded(laterPieces), 7L);
        for (StatePiece p : laterPieces) {
            assertNull(StateFile.read(file, layout, p.piece(), 42L));
            assertArrayEquals(p.values(), StateFile.read(file, layout, p.piece(), 7L).values());
        }
        assertNull(StateFile.read(dir.resolve("exchange/none.state"), layout, 0, 7L), "no file");
    }

    @Test
    void aPieceBeingWrittenOverOrCutShortReadsAsMissing() throws IOException {
        Path file = dir.resolve("w0.state");
        StatePieces layout = written(file, result(0, 2000, 0.5f, 3.25), 42L);

        // A later write has begun on piece 1 (its leading nonce is there, its values and trailing nonce are not yet).
        overwrite(file, StateFile.offset(layout, 1), ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 9L));
        assertNull(StateFile.read(file, layout, 1, 42L));
        assertNull(StateFile.read(file, layout, 1, 9L), "the later write is not whole yet");
        assertNotNull(StateFile.read(file, layout, 0, 42L), "the other pieces are still the first write's");

        // A file cut short (a full disk, a smaller model's run): the pieces past its end are missing.
        int last = layout.count() - 1;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(StateFile.offset(layout, last) + 20);
        }
        assertNull(StateFile.read(file, layout, last, 42L));
    }

    @Test
    void aFramedPieceThatIsNotOfThisLayoutIsAnErrorNamingTheFile() throws IOException {
        WorkerSteps.Result r = result(0, 2000, 0.5f, 3.25);
        Path file = dir.resolve("w0.state");
        StatePieces layout = written(file, r, 42L);
        overwrite(file, StateFile.offset(layout, 0) + 8, ByteBuffer.allocate(4).putInt(0, 0x0bad0bad)); // the piece's magic
        var e = assertThrows(IllegalStateException.class, () -> StateFile.read(file, layout, 0, 42L));
        assertTrue(e.getMessage().startsWith(file + " (piece 0) is not a state piece"), e.getMessage());

        // And a writer given pieces of another layout refuses before writing anything of them.
        StatePieces other = new StatePieces(layout.params() + 1, layout.slots(), layout.buffers(), layout.maxPieceValues());
        assertThrows(IllegalArgumentException.class, () -> StateFile.write(dir.resolve("x.state"), other,
                encoded(StatePiece.all(r, layout)), 1L));
    }

    @Test
    void aFileWrittenOverByASmallerStateEndsAtItsSize() throws IOException {
        WorkerSteps.Result small = result(0, 1000, 0.5f, 3.25);
        Path file = dir.resolve("w0.state");
        written(file, result(0, 3000, 0.5f, 3.25), 1L);
        StatePieces smallLayout = written(file, small, 2L);
        assertEquals(StateFile.size(smallLayout), Files.size(file));
        assertArrayEquals(StatePiece.all(small, smallLayout).get(0).values(), StateFile.read(file, smallLayout, 0, 2L).values());
    }
}
