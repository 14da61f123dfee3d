package dev.medseg.model.metrics;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HD95, Hausdorff, ASSD and Dice against scipy.ndimage + numpy.percentile (medpy semantics), see make_fixtures.py. */
class MedpyFixtureTest {

    static final Path FIXTURE = MedpyFixture.repoRoot().resolve("tests/fixtures/metrics/hd95_cases.txt");

    @Test
    void surfaceDistancesAgreeWithScipyOnEveryCase() throws IOException {
        List<MedpyFixture.Case> cases = MedpyFixture.read(FIXTURE);
        assertEquals(24, cases.size());
        int defined = 0;
        for (MedpyFixture.Case c : cases) {
            if (c.surfaceDefined()) {
                SurfaceDistances d = SurfaceDistances.between(c.result(), c.reference(), c.spacing());
                assertEquals(c.hd95(), d.hd95(), 1e-9, c.name() + " hd95");
                assertEquals(c.hausdorff(), d.hausdorff(), 1e-9, c.name() + " hd");
                assertEquals(c.assd(), d.averageSymmetric(), 1e-9, c.name() + " assd");
                // the pooled percentile is symmetric in its arguments
                assertEquals(d.hd95(), SurfaceDistances.between(c.reference(), c.result(), c.spacing()).hd95(), 1e-12, c.name());
                defined++;
            } else {
                assertThrows(IllegalArgumentException.class,
                        () -> SurfaceDistances.between(c.result(), c.reference(), c.spacing()), c.name());
            }
            assertEquals(c.dice(), ConfusionCounts.of(c.result(), c.reference()).dice(), 1e-12, c.name() + " dice");
        }
        assertEquals(21, defined);
    }

    @Test
    void scorerGivesVoxelAndMmHd95OfTheFixture() throws IOException {
        for (MedpyFixture.Case c : MedpyFixture.read(FIXTURE)) {
            if (c.surfaceDefined() && c.name().startsWith("blobs3d")) {
                ClassScore s = CaseScorer.scoreClass(1, c.result(), c.reference(), c.spacing(), EmptyMaskRule.TRANSUNET);
                assertEquals(c.hd95(), s.hd95Mm(), 1e-9, c.name());
                assertEquals(SurfaceDistances.between(c.result(), c.reference(), Spacing.UNIT).hd95(), s.hd95Voxels(), 0, c.name());
            }
        }
    }

    @Test
    void truncatedFixtureIsRejectedWithFileAndLine(@TempDir Path dir) throws IOException {
        List<String> lines = Files.readAllLines(FIXTURE);
        Path cut = dir.resolve("cut.txt");
        Files.write(cut, lines.subList(0, 4));
        FixtureFormatException e = assertThrows(FixtureFormatException.class, () -> MedpyFixture.read(cut));
        assertEquals(cut + ": truncated, line 5 missing", e.getMessage());
    }

    @Test
    void oversizedGridIsRejectedBeforeAllocating(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.txt");
        Files.writeString(bad, "case huge 100000 100000 100000 1 1 1\n");
        FixtureFormatException e = assertThrows(FixtureFormatException.class, () -> MedpyFixture.read(bad));
        assertTrue(e.getMessage().startsWith(bad + " line 1: grid 100000x100000x100000"), e.getMessage());
    }

    @Test
    void shortMaskIsRejected(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.txt");
        Files.writeString(bad, "case tiny 2 2 2 1 1 1\nresult ff\nreference f\nexpect 1 1 1 1\nend\n");
        FixtureFormatException e = assertThrows(FixtureFormatException.class, () -> MedpyFixture.read(bad));
        assertEquals(bad + " line 3: reference has 1 hex digits, grid Grid[nx=2, ny=2, nz=2] needs 2", e.getMessage());
    }
}
