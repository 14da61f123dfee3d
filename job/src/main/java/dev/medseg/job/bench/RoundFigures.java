package dev.medseg.job.bench;

import dev.medseg.job.tables.TrainRound;

import java.util.Comparator;
import java.util.List;

/**
 * The per-round figures of one training run, each the median over the timed rounds (those after the warm-up) of
 * its {@code train_rounds} rows. A round's seconds are compute + communication (the table's split of the round's
 * wall time: compute = the slowest worker's task time, communication = the rest).
 *
 * @param roundSeconds          median wall seconds of a round
 * @param computeSeconds        median slowest-worker compute seconds
 * @param communicationSeconds  median seconds outside compute (broadcast, scheduling, aggregation)
 * @param communicationFraction median of communication / round seconds
 * @param stateFetchSeconds     median of the longest wait of a worker for the round's broadcast state (outside
 *                              compute), NaN if a timed round does not record it
 * @param imagesPerSecond       median training images per wall second, all workers together
 * @param workers               workers averaged in every timed round
 * @param timedRounds           rounds the medians are taken over
 */
public record RoundFigures(double roundSeconds, double computeSeconds, double communicationSeconds,
                           double communicationFraction, double stateFetchSeconds, double imagesPerSecond, int workers,
                           int timedRounds) {

    /** The medians of {@code rounds} (one run, any order) after the first {@code warmup} rounds. */
    public static RoundFigures of(List<TrainRound> rounds, int warmup) {
        if (warmup < 0) throw new IllegalArgumentException("warmup must be >= 0, got " + warmup);
        List<TrainRound> timed = rounds.stream().sorted(Comparator.comparingInt(TrainRound::round))
                .filter(r -> r.round() >= warmup).toList();
        if (timed.isEmpty()) {
            throw new BenchException("no timed round: " + rounds.size() + " round(s) recorded, " + warmup + " of them warm-up");
        }
        int workers = timed.get(0).workers();
        for (TrainRound r : timed) {
            if (r.workers() != workers) {
                throw new BenchException("round " + r.round() + " averaged " + r.workers() + " workers, round "
                        + timed.get(0).round() + " " + workers + ": not one run");
            }
            if (!(r.computeSeconds() >= 0) || !(r.communicationSeconds() >= 0) || !(r.imagesPerSecond() > 0)) {
                throw new BenchException("round " + r.round() + " has implausible timings: " + r);
            }
        }
        return new RoundFigures(median(timed, r -> r.computeSeconds() + r.communicationSeconds()),
                median(timed, TrainRound::computeSeconds), median(timed, TrainRound::communicationSeconds),
                median(timed, r -> r.communicationSeconds() / (r.computeSeconds() + r.communicationSeconds())),
                timed.stream().allMatch(r -> r.stateFetchSeconds() >= 0) ? median(timed, TrainRound::stateFetchSeconds) : Double.NaN,
                median(timed, TrainRound::imagesPerSecond), workers, timed.size());
    }

    /**
     * Scaling efficiency of {@code more} workers over {@code base}: throughput per worker relative to the base's,
     * {@code ips(more) / (more.workers / base.workers × ips(base))}; 1 = linear scaling.
     */
    public static double scalingEfficiency(RoundFigures base, RoundFigures more) {
        return more.imagesPerSecond / ((double) more.workers / base.workers * base.imagesPerSecond);
    }

    /** The median (mean of the middle two for an even count). */
    static double median(List<TrainRound> rows, java.util.function.ToDoubleFunction<TrainRound> f) {
        double[] v = rows.stream().mapToDouble(f).sorted().toArray();
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** The values of one figure over the timed rounds, in round order (for the JSON config). */
    static double[] values(List<TrainRound> rows, int warmup, java.util.function.ToDoubleFunction<TrainRound> f) {
        return rows.stream().sorted(Comparator.comparingInt(TrainRound::round)).filter(r -> r.round() >= warmup)
                .mapToDouble(f).toArray();
    }

    @Override
    public String toString() {
        return String.format("%d worker(s): round %.3f s (compute %.3f, communication %.3f = %.1f%%%s), %.3f images/s over %d round(s)",
                workers, roundSeconds, computeSeconds, communicationSeconds, 100 * communicationFraction,
                Double.isNaN(stateFetchSeconds) ? "" : String.format(", state fetch %.3f", stateFetchSeconds), imagesPerSecond,
                timedRounds);
    }
}
