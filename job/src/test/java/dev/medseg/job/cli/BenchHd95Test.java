package dev.medseg.job.cli;

import dev.medseg.job.bench.BenchLine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** `bench hd95` prints one parseable JSON line with the HD95 it timed; bad sizes are usage errors. */
class BenchHd95Test {
    @Test
    void printsOneFigureForASmallGrid() {
        var r = MedsegCliTest.run("bench", "hd95", "--size", "32", "--depth", "12", "--repeat", "1");
        assertEquals(0, r.exit(), r.err());
        BenchLine line = BenchLine.parse(r.out().strip());
        assertEquals("metrics.hd95.seconds", line.name());
        assertTrue(line.value() >= 0);
        assertEquals("32x32x12", line.config().get("grid"));
        double hd = ((Number) line.config().get("hd95_voxel")).doubleValue();
        assertTrue(hd > 0 && hd < 32, "hd95 " + hd);
        assertEquals(2, MedsegCliTest.run("bench", "hd95", "--size", "4").exit());
    }
}
