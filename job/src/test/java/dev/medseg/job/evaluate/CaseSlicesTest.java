package dev.medseg.job.evaluate;

import dev.medseg.data.slices.SliceSchema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Assembling a case from its slice rows, and the per-case problems that stop it. */
class CaseSlicesTest {
    static final int S = 4;
    static final int H = 3;
    static final int W = 5;

    /** A row in {@link SplitSlices#COLUMNS} order: image value z everywhere, native label z+1 at pixel z. */
    static Row row(String caseId, int z, int numSlices, byte[] labelNative, double[] spacing, String source) {
        float[] image = new float[S * S];
        java.util.Arrays.fill(image, z);
        return RowFactory.create(caseId, z, numSlices, 1, S, S, SliceSchema.encodeImage(image), labelNative,
                EvalShards.seq(spacing), H, W, source);
    }

    static byte[] label(int z) {
        byte[] l = new byte[H * W];
        l[z] = (byte) (z + 1);
        return l;
    }

    static List<Row> complete(String id, int n) {
        List<Row> rows = new ArrayList<>();
        for (int z = n - 1; z >= 0; z--) { // any order
            rows.add(row(id, z, n, label(z), new double[]{1.5, 0.8, 3}, "x.nii.gz"));
        }
        return rows;
    }

    @Test
    void assemblesSlicesInOrderWithTheNativeVolume() {
        CaseSlices c = CaseSlices.assemble(complete("a", 3), true, 3);
        assertEquals(3, c.depth());
        assertEquals(H, c.height());
        assertEquals(W, c.width());
        assertTrue(c.volume());
        assertArrayEquals(new double[]{1.5, 0.8, 3}, c.spacing());
        for (int z = 0; z < 3; z++) {
            assertEquals(z, c.images().get(z)[0], 0f);
            assertEquals(z + 1, c.reference()[z * H * W + z]);
        }
        // a single PNG slice is a 2-D case; without labels the reference is absent
        CaseSlices flat = CaseSlices.assemble(List.of(row("p", 0, 1, null, new double[]{1, 1, 1}, "p.png")), false, 1);
        assertFalse(flat.volume());
        assertNull(flat.reference());
    }

    @Test
    void aMissingSliceIsAProblem() {
        List<Row> rows = complete("c", 4);
        rows.removeIf(r -> r.getInt(1) == 2);
        CaseProblem e = assertThrows(CaseProblem.class, () -> CaseSlices.assemble(rows, true, 4));
        assertEquals("missing slice(s) [2] of 0..3 (3 of 4 present)", e.getMessage());
        // predict needs all slices too
        assertThrows(CaseProblem.class, () -> CaseSlices.assemble(rows, false, 4));
    }

    @Test
    void duplicatesLabelsAndIdsAreProblems() {
        List<Row> dup = complete("d", 2);
        dup.add(row("d", 1, 2, label(1), new double[]{1.5, 0.8, 3}, "x.nii.gz"));
        assertEquals("duplicate or out-of-range slice(s) [1] for num_slices 2",
                assertThrows(CaseProblem.class, () -> CaseSlices.assemble(dup, true, 3)).getMessage());

        List<Row> unlabelled = complete("e", 2);
        unlabelled.set(0, row("e", 1, 2, null, new double[]{1.5, 0.8, 3}, "x.nii.gz"));
        assertTrue(assertThrows(CaseProblem.class, () -> CaseSlices.assemble(unlabelled, true, 3)).getMessage()
                .startsWith("slice 1: no label_native"));
        // predict does not need labels
        assertEquals(2, CaseSlices.assemble(unlabelled, false, 3).depth());

        // ids 1 and 2 with a model of classes 0..1
        assertEquals("slice 1: label_native has class id(s) [2] outside the model's classes 0..1",
                assertThrows(CaseProblem.class, () -> CaseSlices.assemble(complete("f", 2), true, 1)).getMessage());

        List<Row> shortLabel = complete("g", 1);
        shortLabel.set(0, row("g", 0, 1, new byte[H * W - 1], new double[]{1, 1, 1}, "g.png"));
        assertEquals("slice 0: label_native has 14 bytes, expected 3x5",
                assertThrows(CaseProblem.class, () -> CaseSlices.assemble(shortLabel, true, 1)).getMessage());

        List<Row> mixedSpacing = complete("h", 2);
        mixedSpacing.set(1, row("h", 0, 2, label(0), new double[]{1.5, 0.8, 2.5}, "x.nii.gz"));
        assertTrue(assertThrows(CaseProblem.class, () -> CaseSlices.assemble(mixedSpacing, true, 3)).getMessage()
                .contains("spacing differs"));

        Row badImage = RowFactory.create("i", 0, 1, 1, S, S, new byte[7], label(0), EvalShards.seq(new double[]{1, 1, 1}),
                H, W, "i.png");
        assertTrue(assertThrows(CaseProblem.class, () -> CaseSlices.assemble(List.of(badImage), true, 3)).getMessage()
                .contains("image has 7 bytes, expected 64"));
    }

    @Test
    void groupsSortedRowsByCase() {
        List<Row> rows = new ArrayList<>();
        rows.addAll(complete("a", 2));
        rows.addAll(complete("b", 1));
        rows.addAll(complete("c", 3));
        Iterator<List<Row>> it = CaseSlices.byCase(rows.iterator());
        List<String> seen = new ArrayList<>();
        while (it.hasNext()) {
            List<Row> c = it.next();
            seen.add(c.get(0).getString(0) + c.size());
        }
        assertEquals(List.of("a2", "b1", "c3"), seen);
        assertFalse(CaseSlices.byCase(java.util.Collections.emptyIterator()).hasNext());
    }
}
