package dev.medseg.job.train;

import dev.medseg.model.train.TrainState;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.storage.BlockManager;
import org.apache.spark.storage.BlockData;
import org.apache.spark.storage.RDDBlockId;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.io.ChunkedByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The exchange without the driver ({@code train.exchange = peers}): a worker leaves its end-of-round state on its
 * executor, one block per {@link StatePieces piece}, and every worker of the next round fetches all the
 * workers' pieces from their executors and computes the mean itself, in worker order, so every worker starts from the
 * same bits (with two workers the very bits of the driver's mean). The driver sees only each worker's
 * {@link StatePiece.Stats}; it gathers the state the usual way in rounds after which it needs it (validation,
 * checkpoints, the last round).
 *
 * <p>Blocks are {@code RDDBlockId(id, worker * pieces + piece)} under an RDD id the driver takes from Spark and no RDD
 * uses, so {@link #remove} clears them on every executor at once. They hold {@link PieceBytes} (raw floats after a
 * header), stored as bytes ({@code MEMORY_AND_DISK_SER}): a 64 MiB piece travels in memory (below
 * {@code spark.network.maxRemoteBlockSizeFetchToMem}), the storage accounting is exact, and the executor keeps one
 * copy of the state, not the float state as well.
 *
 * <p>A block that is gone (its executor was lost) fails the next round's tasks with {@link #LOST}; the driver then
 * goes back to the last state it holds and trains the rounds since again (see TrainJob).
 */
final class PeerExchange {
    private static final Logger log = LoggerFactory.getLogger(PeerExchange.class);
    /** The message a task fails with when a worker's state of the previous round cannot be fetched. */
    static final String LOST = "medseg: a worker's state of the previous round is gone";

    private static final ClassTag<byte[]> BYTES = ClassTag$.MODULE$.apply(byte[].class);

    private PeerExchange() {}

    /**
     * What a round left on the executors: where ({@code id}), in what layout, and what each worker's steps did (the
     * next round checks every piece it fetches against it).
     */
    record Left(int id, StatePieces layout, Map<Integer, StatePiece.Stats> workers) implements Serializable {
        Left {
            workers = new TreeMap<>(workers);
        }

        long step() {
            return workers.values().iterator().next().step();
        }
    }

    /** A fresh id for a round's blocks (no RDD has it). */
    static int newId(SparkContext sc) {
        return sc.newRddId();
    }

    static RDDBlockId block(int id, StatePieces layout, int worker, int piece) {
        return new RDDBlockId(id, worker * layout.count() + piece);
    }

    /** Leaves a worker's result on this executor; returns what the driver needs to know of it. */
    static StatePiece.Stats leave(WorkerSteps.Result r, StatePieces layout, int id) {
        BlockManager bm = SparkEnv.get().blockManager();
        // A task of an aborted round may still run (Spark does not interrupt it): it must not store after the driver
        // removed the round's blocks.
        org.apache.spark.TaskContext tc = org.apache.spark.TaskContext.get();
        if (tc != null) tc.killTaskIfInterrupted();
        List<StatePiece> pieces = StatePiece.all(r, layout);
        for (StatePiece p : pieces) {
            RDDBlockId block = block(id, layout, r.worker(), p.piece());
            bm.removeBlock(block, true); // an earlier attempt's (putBytes keeps a block that exists)
            // Stored as they are: no copy; they go to the executor's disk if its storage memory is short.
            if (!bm.putBytes(block, new ChunkedByteBuffer(PieceBytes.encode(p)),
                    StorageLevel.MEMORY_AND_DISK_SER(), true, BYTES)) {
                throw new IllegalStateException("could not store piece " + p.piece() + " of worker " + r.worker()
                        + "'s state on this executor (storage memory and disk full?)");
            }
        }
        return pieces.get(0).stats();
    }

    /** Pieces fetched ahead of the one being averaged: (1 + AHEAD) x workers x piece size of heap in flight. */
    static final int AHEAD = 1;

    /** Fetches on their own threads: a remote fetch waits on the network and the peer while this thread averages. */
    private static final ExecutorService FETCHERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "medseg-peer-fetch");
        t.setDaemon(true);
        return t;
    });

    /**
     * The mean of the states {@code left} describes, fetched piece by piece from the executors that hold them (this
     * one's from its own store) and written into a new state. Every worker's share of piece {@code p + AHEAD} is
     * fetched, all at once, while piece {@code p} is averaged.
     */
    static TrainState mean(Left left) {
        BlockManager bm = SparkEnv.get().blockManager();
        StatePieces layout = left.layout();
        for (int w : left.workers().keySet()) {
            if (TestHooks.loseLeftState(w, left.step())) {
                for (int p = 0; p < layout.count(); p++) bm.removeBlock(block(left.id(), layout, w, p), true);
            }
        }
        long t0 = System.nanoTime();
        AtomicInteger remote = new AtomicInteger(); // pieces that came from other executors
        RoundSum sum = new RoundSum(layout);
        List<List<Future<StatePiece>>> fetches = new ArrayList<>();
        try {
            for (int p = 0; p < layout.count(); p++) {
                while (fetches.size() < Math.min(layout.count(), p + 1 + AHEAD)) {
                    fetches.add(fetchAll(bm, left, fetches.size(), remote));
                }
                PieceSum s = new PieceSum();
                for (Future<StatePiece> f : fetches.get(p)) s.add(join(f));
                fetches.set(p, List.of()); // its pieces go once averaged
                sum.accept(p, s);
            }
        } finally {
            for (List<Future<StatePiece>> fs : fetches) fs.forEach(f -> f.cancel(true));
        }
        log.info("averaged {} workers' states: {} of {} pieces from other executors, {} s", left.workers().size(),
                remote.get(), layout.count() * left.workers().size(), String.format("%.2f", (System.nanoTime() - t0) / 1e9));
        return sum.average();
    }

    /**
     * Every worker's share of piece {@code p}: a block this executor holds is read here, on the task's thread (Spark
     * releases a task's block locks when it ends, whatever happens), the others are fetched on the fetch threads.
     */
    private static List<Future<StatePiece>> fetchAll(BlockManager bm, Left left, int p, AtomicInteger remote) {
        List<Future<StatePiece>> out = new ArrayList<>();
        for (var w : left.workers().entrySet()) {
            RDDBlockId id = block(left.id(), left.layout(), w.getKey(), p);
            StatePiece local = readLocal(bm, id, what(id, w.getKey(), p));
            if (local != null) {
                out.add(CompletableFuture.completedFuture(checked(local, p, w.getKey(), w.getValue())));
            } else {
                out.add(FETCHERS.submit(() -> checked(fetchRemote(bm, id, w.getKey(), p, remote), p, w.getKey(), w.getValue())));
            }
        }
        return out;
    }

    /** The piece, if it is the one the round's result describes; else the state is as good as lost. */
    private static StatePiece checked(StatePiece piece, int p, int worker, StatePiece.Stats expected) {
        if (!piece.stats().sameTrajectory(expected) || piece.piece() != p) {
            throw new IllegalStateException(LOST + ": piece " + p + " of worker " + worker + " comes from "
                    + piece.stats() + ", the round's result was " + expected);
        }
        return piece;
    }

    private static String what(RDDBlockId id, int worker, int piece) {
        return "block " + id + " (piece " + piece + " of worker " + worker + ")";
    }

    private static StatePiece join(Future<StatePiece> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while fetching the workers' states", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            throw new IllegalStateException(c.getMessage(), c);
        }
    }

    /** The piece in a block of this executor's store, or null if it holds none. */
    private static StatePiece readLocal(BlockManager bm, RDDBlockId id, String what) {
        Option<BlockData> local = bm.getLocalBytes(id);
        if (local.isEmpty()) return null;
        try {
            java.nio.ByteBuffer bytes = local.get().toByteBuffer();
            try {
                return PieceBytes.decode(bytes, what);
            } finally {
                // A block spilled to disk is read through a mapping: unmap it now, not at some later GC. Never a
                // direct buffer of the memory store, which is the store's own memory.
                if (bytes instanceof java.nio.MappedByteBuffer) org.apache.spark.storage.StorageUtils.dispose(bytes);
            }
        } finally {
            local.get().dispose();
            bm.releaseLock(id, Option.apply(org.apache.spark.TaskContext.get()));
        }
    }

    private static StatePiece fetchRemote(BlockManager bm, RDDBlockId id, int worker, int piece, AtomicInteger count) {
        Option<ChunkedByteBuffer> remote = bm.getRemoteBytes(id);
        if (remote.isEmpty()) throw new IllegalStateException(LOST + ": " + what(id, worker, piece) + " is on no live executor");
        count.incrementAndGet();
        try {
            return PieceBytes.decode(remote.get().toByteBuffer(), what(id, worker, piece));
        } finally {
            remote.get().dispose();
        }
    }

    /**
     * Removes a round's blocks from every executor (and waits: the next round must not find them). Through the
     * context, so that listeners (dynamic allocation's idle tracking, the storage figures) hear of it too.
     */
    static void remove(SparkContext sc, int id) {
        sc.unpersistRDD(id, true);
    }

    /**
     * {@link #remove} on a path that must not fail because of it (another failure on its way, which a failure to
     * remove must not hide, or clean-up): the failure is added to {@code cause} (if any) and logged.
     */
    static void removeQuietly(SparkContext sc, int id, Throwable cause) {
        try {
            remove(sc, id);
        } catch (Exception e) { // SparkException from the RPC, checked but undeclared
            if (cause != null) cause.addSuppressed(e);
            log.warn("could not remove the exchange blocks of rdd {}", id, e);
        }
    }

    /** Whether {@code e} (or a cause) is a task's failure to find a state left by the previous round. */
    static boolean lostState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(LOST)) return true;
        }
        return false;
    }
}
