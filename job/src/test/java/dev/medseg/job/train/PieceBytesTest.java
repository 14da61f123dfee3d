package dev.medseg.job.train;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PieceBytesTest {
    @Test
    void everyPieceOfAStateComesBackWithItsValuesAndStats() {
        WorkerSteps.Result r = new WorkerSteps.Result(3, RoundSumTest.result(3, 40, 0.25f).state(), 7.125, 5, 10, 19.5,
                true, 0.75);
        StatePieces layout = StatePieces.of(r.state(), RoundSumTest.PIECE_BYTES);
        List<StatePiece> views = StatePiece.all(r, layout);
        assertTrue(views.size() > 2, "pieces that span two vectors too");
        for (StatePiece v : views) {
            StatePiece back = PieceBytes.decode(PieceBytes.encode(v), "piece");
            assertEquals(v.piece(), back.piece());
            assertEquals(v.stats(), back.stats(), "stats bit for bit (the next round checks them)");
            assertArrayEquals(v.values(), back.values());
            // And a piece that owns its values encodes the same bytes.
            assertEquals(PieceBytes.encode(v), PieceBytes.encode(back));
        }
        float[] odd = {Float.NaN, -0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY};
        StatePiece p = StatePiece.of(0, views.get(0).stats(), odd);
        float[] back = PieceBytes.decode(PieceBytes.encode(p), "piece").values();
        for (int i = 0; i < odd.length; i++) assertEquals(Float.floatToRawIntBits(odd[i]), Float.floatToRawIntBits(back[i]));
    }

    @Test
    void bytesThatAreNotAPieceAreRefusedByName() {
        StatePiece p = StatePiece.of(2, new StatePiece.Stats(1, 10, 1.0, 5, 10, 2.0, false, 0.1), new float[]{1, 2, 3});
        ByteBuffer good = PieceBytes.encode(p);
        var cases = new java.util.LinkedHashMap<String, ByteBuffer>();
        cases.put("header", ByteBuffer.allocate(PieceBytes.HEADER - 1));
        ByteBuffer magic = copy(good);
        magic.putInt(0, 0x12345678);
        cases.put("not a state piece", magic);
        ByteBuffer truncated = copy(good).limit(good.limit() - 2);
        cases.put("3 values, 10 bytes follow", truncated);
        ByteBuffer count = copy(good);
        count.putInt(PieceBytes.HEADER - 4, -1); // the same bytes in either order
        cases.put("-1 values", count);
        for (var c : cases.entrySet()) {
            var e = assertThrows(IllegalStateException.class, () -> PieceBytes.decode(c.getValue(), "block rdd_7_3"));
            assertTrue(e.getMessage().startsWith("block rdd_7_3 is not a state piece") && e.getMessage().contains(c.getKey()),
                    e.getMessage());
        }
    }

    private static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer c = ByteBuffer.allocate(b.limit());
        c.put(b.duplicate()).flip();
        return c;
    }
}
