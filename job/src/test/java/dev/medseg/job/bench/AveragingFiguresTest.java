package dev.medseg.job.bench;

import dev.medseg.job.tables.TrainRound;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The per-round figures from train_rounds rows, and the bytes a round moves. */
class AveragingFiguresTest {
    static TrainRound row(int round, int workers, double ips, double compute, double comm) {
        return new TrainRound("run", round, 0, 5L * (round + 1), 1.0, 0.01, ips, compute, comm, workers);
    }

    @Test
    void warmupRoundsAreLeftOutAndAnEvenCountTakesTheMeanOfTheMiddleTwo() {
        // given out of order; round 0 (graph building) would dominate every median
        var f = RoundFigures.of(List.of(row(2, 1, 0.5, 6, 2), row(0, 1, 0.1, 10, 20), row(1, 1, 0.8, 4, 1)), 1);
        assertEquals(2, f.timedRounds());
        assertEquals(1, f.workers());
        assertEquals((5 + 8) / 2.0, f.roundSeconds(), 1e-12);
        assertEquals(5, f.computeSeconds(), 1e-12);
        assertEquals(1.5, f.communicationSeconds(), 1e-12);
        assertEquals((1 / 5.0 + 2 / 8.0) / 2, f.communicationFraction(), 1e-12);
        assertEquals(0.65, f.imagesPerSecond(), 1e-12);
        assertArrayEquals(new double[]{4, 6}, RoundFigures.values(List.of(row(2, 1, 0.5, 6, 2), row(0, 1, 0.1, 10, 20),
                row(1, 1, 0.8, 4, 1)), 1, TrainRound::computeSeconds));
    }

    @Test
    void theStateFetchIsAFigureOnlyWhenEveryTimedRoundRecordsIt() {
        TrainRound a = new TrainRound("run", 1, 0, 10, 1.0, 0.01, 1, 9, 2, 2, 0.7);
        TrainRound b = new TrainRound("run", 2, 0, 15, 1.0, 0.01, 1, 9, 2, 2, 0.3);
        TrainRound c = new TrainRound("run", 3, 0, 20, 1.0, 0.01, 1, 9, 2, 2, 1.9);
        TrainRound warm = new TrainRound("run", 0, 0, 5, 1.0, 0.01, 1, 9, 2, 2); // not recorded, but warm-up
        var f = RoundFigures.of(List.of(a, b, c, warm), 1);
        assertEquals(0.7, f.stateFetchSeconds(), 1e-12);
        assertTrue(f.toString().contains("state fetch 0.700"), f.toString());
        var older = RoundFigures.of(List.of(a, row(2, 2, 1, 9, 2)), 1);
        assertTrue(Double.isNaN(older.stateFetchSeconds()));
        assertFalse(older.toString().contains("state fetch"), older.toString());
    }

    @Test
    void anOddCountTakesTheMiddleValueOfEachFigureSeparately() {
        var f = RoundFigures.of(List.of(row(1, 2, 3.0, 2, 8), row(2, 2, 1.0, 9, 1), row(3, 2, 2.0, 4, 4)), 1);
        assertEquals(3, f.timedRounds());
        assertEquals(10, f.roundSeconds(), 1e-12);          // rounds 10, 10, 8
        assertEquals(4, f.computeSeconds(), 1e-12);         // 2, 9, 4
        assertEquals(4, f.communicationSeconds(), 1e-12);   // 8, 1, 4
        assertEquals(0.5, f.communicationFraction(), 1e-12); // 0.8, 0.1, 0.5
        assertEquals(2.0, f.imagesPerSecond(), 1e-12);
    }

    @Test
    void scalingEfficiencyIsThroughputPerWorkerOverTheBase() {
        var one = RoundFigures.of(List.of(row(1, 1, 1.0, 9, 1)), 1);
        var two = RoundFigures.of(List.of(row(1, 2, 1.5, 9, 4)), 1);
        assertEquals(0.75, RoundFigures.scalingEfficiency(one, two), 1e-12);
        var four = RoundFigures.of(List.of(row(1, 4, 2.7, 9, 4)), 1);
        assertEquals(0.9, RoundFigures.scalingEfficiency(two, four), 1e-12); // 2.7 / (4 / 2 x 1.5)
        assertEquals(1.0, RoundFigures.scalingEfficiency(one, one), 1e-12);
    }

    @Test
    void runsWithoutTimedRoundsOrWithMixedWorkersAreRefused() {
        var e = assertThrows(BenchException.class, () -> RoundFigures.of(List.of(row(0, 1, 1, 1, 1)), 1));
        assertEquals("no timed round: 1 round(s) recorded, 1 of them warm-up", e.getMessage());
        var m = assertThrows(BenchException.class, () -> RoundFigures.of(List.of(row(1, 1, 1, 1, 1), row(2, 2, 1, 1, 1)), 1));
        assertEquals("round 2 averaged 2 workers, round 1 1: not one run", m.getMessage());
        var z = assertThrows(BenchException.class, () -> RoundFigures.of(List.of(row(1, 1, 0, 1, 1)), 0));
        assertTrue(z.getMessage().startsWith("round 1 has implausible timings"), z.getMessage());
    }

    @Test
    void treeLevelsFollowSparksDepthTwoRule() {
        // scale = max(ceil(sqrt(n)), 2); a level n/scale while n > scale + ceil(n/scale)
        assertEquals(List.of(1), RoundTraffic.treeLevels(1));
        assertEquals(List.of(2), RoundTraffic.treeLevels(2));
        assertEquals(List.of(4), RoundTraffic.treeLevels(4));    // 4 > 2 + 2 is false
        assertEquals(List.of(8, 2), RoundTraffic.treeLevels(8)); // scale 3: 8 > 3 + 3
        assertEquals(List.of(9, 3), RoundTraffic.treeLevels(9));
        assertEquals(List.of(16, 4), RoundTraffic.treeLevels(16));
        assertEquals(List.of(32, 5), RoundTraffic.treeLevels(32)); // scale 6: 32 / 6 = 5
        assertThrows(IllegalArgumentException.class, () -> RoundTraffic.treeLevels(0));
    }

    @Test
    void bytesOfFullTransUNetWithMomentum() {
        // model-spec 4.1: 105,323,161 trainable parameters; decoder BatchNorm: (512 + 2 x (256 + 128 + 64 + 16)) x 2
        var size = new TrainStateSize(105_323_161L, 1, 2_880);
        assertEquals(210_649_202L, size.values());
        assertEquals(842_596_808L, size.broadcastBytes());
        assertEquals(1_685_193_616L, size.resultBytes());
        var two = new RoundTraffic(size, 2);
        assertEquals(2 * 842_596_808L, two.broadcastBytes());
        // two one-worker sums straight to the driver, each as its float state
        assertEquals(2 * 842_596_808L, two.aggregationBytes());
        assertEquals(2 * 842_596_808L, two.driverInboundBytes());
        assertEquals(3_370_387_232L, two.totalBytes());
        var eight = new RoundTraffic(size, 8);
        // 8 float sums to the shuffle, 2 merged (double) sums to the driver
        assertEquals(8 * 842_596_808L + 2 * 1_685_193_616L, eight.aggregationBytes());
        assertEquals(2 * 1_685_193_616L, eight.driverInboundBytes());
        assertEquals(List.of(8, 2), eight.config().get("tree_levels"));
        // workers keeping their momentum: parameters and buffers only, 4 x (105,323,161 + 2,880)
        var local = new RoundTraffic(size.withoutSlots(), 2);
        assertEquals(2 * 421_304_164L, local.broadcastBytes());
        assertEquals(4 * 421_304_164L, local.totalBytes());
        // Workers exchanging among themselves: each fetches the N - 1 other float states; one worker fetches nothing.
        assertEquals(2 * 842_596_808L, two.peerExchangeBytes());
        assertEquals(8 * 7 * 842_596_808L, eight.peerExchangeBytes());
        assertEquals(0, new RoundTraffic(size, 1).peerExchangeBytes());
    }

    @Test
    void eachWorkerCountPrintsItsMediansBytesPeakMemoryAndTheScalingEfficiency() {
        var settings = AveragingSettingsTest.parse("--tiny");
        var bench = new AveragingBenchmark(settings, java.nio.file.Path.of("/unused"), l -> {}, m -> {});
        var size = new TrainStateSize(1000, 1, 10);
        List<TrainRound> r1 = List.of(row(0, 1, 0.1, 30, 30), row(1, 1, 2.0, 4, 1), row(2, 1, 2.0, 4, 1));
        List<TrainRound> r2 = List.of(row(0, 2, 0.1, 30, 30), row(1, 2, 3.0, 5, 2), row(2, 2, 3.0, 5, 2));
        var one = new AveragingBenchmark.Run(1, r1, RoundFigures.of(r1, 1), size, java.util.Map.of(11L, 5L << 20), 7L << 20);
        var two = new AveragingBenchmark.Run(2, r2, RoundFigures.of(r2, 1), size, java.util.Map.of(21L, 6L << 20, 22L, 8L << 20), 9);
        List<BenchLine> lines = new java.util.ArrayList<>();
        bench.emitRun(one, one, lines::add);
        bench.emitRun(two, one, lines::add);
        var byName = new java.util.LinkedHashMap<String, BenchLine>();
        lines.forEach(l -> byName.put(l.name(), l));
        assertEquals(List.of("round_seconds", "compute_seconds", "communication_seconds", "communication_fraction",
                "images_per_second", "bytes_per_round", "executor_peak_rss"), byName.keySet().stream()
                .filter(n -> n.startsWith("averaging.transunet.workers_1.")).map(n -> n.substring(30)).toList());
        assertEquals(5, byName.get("averaging.transunet.workers_1.round_seconds").value(), 1e-12);
        assertEquals(0.2, byName.get("averaging.transunet.workers_1.communication_fraction").value(), 1e-12);
        // peers, the default: each of the two workers fetches the other's float state
        assertEquals(2 * 4 * 2010, byName.get("averaging.transunet.workers_2.bytes_per_round").value(), 0);
        assertEquals(2L * 4 * 2010 + 2 * 4 * 2010, byName.get("averaging.transunet.workers_2.bytes_per_round").config()
                .get("driver_bytes_per_round"));
        // through the driver: two float states in, two out
        List<BenchLine> viaDriver = new java.util.ArrayList<>();
        new AveragingBenchmark(AveragingSettingsTest.parse("--tiny", "--exchange", "driver"), java.nio.file.Path.of("/unused"),
                l -> {}, m -> {}).emitRun(two, one, viaDriver::add);
        assertEquals(2 * 4 * 2010 + 2 * 4 * 2010, viaDriver.stream().filter(l -> l.name().endsWith("workers_2.bytes_per_round"))
                .findFirst().orElseThrow().value(), 0);
        assertEquals(8L << 20, byName.get("averaging.transunet.workers_2.executor_peak_rss").value(), 0);
        assertEquals(List.of(6L << 20, 8L << 20), byName.get("averaging.transunet.workers_2.executor_peak_rss").config()
                .get("per_executor_bytes"));
        assertEquals(0.75, byName.get("averaging.transunet.workers_2.scaling_efficiency").value(), 1e-12); // 3 / (2 x 2)
        assertEquals(1.25, ((Number) byName.get("averaging.transunet.workers_2.scaling_efficiency").config()
                .get("compute_seconds_ratio")).doubleValue(), 1e-12); // 5 s of compute against 4 with one worker
        assertFalse(byName.containsKey("averaging.transunet.workers_1.scaling_efficiency"), "the base has none");
        assertEquals("transunet (tiny)", byName.get("averaging.transunet.workers_2.round_seconds").config().get("model"));
    }

    @Test
    void implausibleSizesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TrainStateSize(0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new TrainStateSize(10, 5, 0));
        assertThrows(IllegalArgumentException.class, () -> new RoundTraffic(new TrainStateSize(10, 1, 0), 0));
    }
}
