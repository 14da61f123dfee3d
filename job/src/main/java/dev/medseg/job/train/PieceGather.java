package dev.medseg.job.train;

import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Gathers the workers' mean state on the driver from their cached {@link StatePiece}s: one {@code treeAggregate}
 * per piece, piece 0 first (its job runs the round's training), then the others with up to {@link #IN_FLIGHT} jobs
 * at a time, so the driver fetches and merges one piece while executors serialize the next and job scheduling
 * overlaps. The next state's arrays (0.4-1.3 GB at full size; allocating them can stall the driver for a second)
 * are allocated while the workers train.
 */
final class PieceGather {
    /** Piece jobs running at once after piece 0. */
    static final int IN_FLIGHT = 3;

    private PieceGather() {}

    /** The round's mean of {@code pieces} (one partition per worker, each holding every piece of {@code layout}). */
    static RoundSum gather(JavaRDD<StatePiece> pieces, StatePieces layout) throws Exception {
        SparkContext sc = pieces.context();
        String description = sc.getLocalProperty("spark.job.description");
        String group = "medseg-pieces-" + UUID.randomUUID();
        int threads = Math.max(1, Math.min(IN_FLIGHT, layout.count() - 1));
        ExecutorService pool = Executors.newFixedThreadPool(threads, DaemonThreads.named("medseg-piece-gather"));
        try {
            CompletableFuture<RoundSum> target = CompletableFuture.supplyAsync(() -> new RoundSum(layout), pool);
            PieceSum first = sumOf(pieces, 0);
            RoundSum sum = join(target);
            sum.accept(0, first);
            List<Future<PieceSum>> rest = new ArrayList<>();
            for (int p = 1; p < layout.count(); p++) {
                int piece = p;
                rest.add(pool.submit(() -> {
                    sc.setJobGroup(group, description + ", state piece " + (piece + 1) + "/" + layout.count(), true);
                    return sumOf(pieces, piece);
                }));
            }
            for (int p = 1; p < layout.count(); p++) sum.accept(p, join(rest.get(p - 1)));
            return sum;
        } catch (Exception e) {
            sc.cancelJobGroup(group);
            throw e;
        } finally {
            pool.shutdownNow();
        }
    }

    private static PieceSum sumOf(JavaRDD<StatePiece> pieces, int piece) {
        return pieces.filter(x -> x.piece() == piece).treeAggregate(new PieceSum(), PieceSum::add, PieceSum::merge);
    }

    /** The future's value; its failure rethrown as it is (a Spark job's SparkException, say). */
    private static <T> T join(Future<T> f) throws Exception {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception c ? c : e;
        }
    }
}
