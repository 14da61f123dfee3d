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

import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.file.Path;
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
 * <p>Where executors share a host, each worker also writes its state to a {@link StateFile} in its executor's local
 * directory, and the workers on that host read it from there (the page cache) instead of through the network; a
 * piece the file no longer holds whole is fetched as a block. A lost executor's file may still serve the next round.
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
     * What a round left on the executors: where ({@code id}), in what layout, what each worker's steps did (the
     * next round checks every piece it fetches against it) and the workers' state files, if they wrote any.
     */
    record Left(int id, StatePieces layout, Map<Integer, StatePiece.Stats> workers, Map<Integer, Copy> copies)
            implements Serializable {
        Left {
            workers = new TreeMap<>(workers);
            copies = new TreeMap<>(copies);
        }

        long step() {
            return workers.values().iterator().next().step();
        }
    }

    /**
     * Where a worker also wrote its state as a {@link StateFile}, and the write's nonce: workers of the next round on
     * {@code host} read it from there.
     */
    record Copy(String host, String file, long nonce) implements Serializable {}

    /** What a worker's task returns: what its steps did, and its state's file (null if it wrote none). */
    record Deposit(StatePiece.Stats stats, Copy copy) implements Serializable {}

    /** A fresh id for a round's blocks (no RDD has it). */
    static int newId(SparkContext sc) {
        return sc.newRddId();
    }

    /**
     * Whether workers should write {@link StateFile}s: only if two executors share a host (the driver's block manager
     * aside; asked every round, executors come and go), and not with {@code spark.io.encryption.enabled} (a file
     * would hold the state unencrypted).
     */
    static boolean stateFilesHelp(SparkContext sc) {
        if (sc.conf().getBoolean("spark.io.encryption.enabled", false)) return false;
        String driver = SparkEnv.get().blockManager().blockManagerId().hostPort();
        java.util.Set<String> hosts = new java.util.HashSet<>();
        for (String hostPort : scala.jdk.javaapi.CollectionConverters.asJava(sc.getExecutorMemoryStatus()).keySet()) {
            if (hostPort.equals(driver)) continue;
            if (!hosts.add(hostPort.substring(0, hostPort.lastIndexOf(':')))) return true;
        }
        return false;
    }

    static RDDBlockId block(int id, StatePieces layout, int worker, int piece) {
        return new RDDBlockId(id, worker * layout.count() + piece);
    }

    /**
     * Leaves a worker's result on this executor as blocks and, if {@code slot >= 0}, as a {@link StateFile} in the
     * executor's local directory (one of two per worker, alternating by round: the next round reads the one this round
     * wrote while it writes the other); returns what the driver needs to know of it.
     */
    static Deposit leave(WorkerSteps.Result r, StatePieces layout, int id, int slot) {
        BlockManager bm = SparkEnv.get().blockManager();
        // A task of an aborted round may still run (Spark does not interrupt it): it must not store after the driver
        // removed the round's blocks.
        org.apache.spark.TaskContext tc = org.apache.spark.TaskContext.get();
        if (tc != null) tc.killTaskIfInterrupted();
        List<StatePiece> pieces = StatePiece.all(r, layout);
        List<ByteBuffer> bytes = new ArrayList<>();
        for (StatePiece p : pieces) {
            RDDBlockId block = block(id, layout, r.worker(), p.piece());
            bm.removeBlock(block, true); // an earlier attempt's (putBytes keeps a block that exists)
            ByteBuffer b = PieceBytes.encode(p);
            bytes.add(b);
            // Stored as they are: no copy; they go to the executor's disk if its storage memory is short.
            if (!bm.putBytes(block, new ChunkedByteBuffer(b.duplicate()), StorageLevel.MEMORY_AND_DISK_SER(), true, BYTES)) {
                throw new IllegalStateException("could not store piece " + p.piece() + " of worker " + r.worker()
                        + "'s state on this executor (storage memory and disk full?)");
            }
        }
        return new Deposit(pieces.get(0).stats(), slot < 0 ? null : writeFile(bm, r.worker(), slot, tc, layout, bytes));
    }

    /** The worker's state file, or null (logged) if it cannot be written: its peers then fetch its blocks. */
    private static Copy writeFile(BlockManager bm, int worker, int slot, org.apache.spark.TaskContext tc,
                                  StatePieces layout, List<ByteBuffer> bytes) {
        // An attempt of its own: a retried task never writes over a file its earlier attempt may still be writing.
        Path file = bm.diskBlockManager().localDirs()[0].toPath().resolve("medseg-exchange")
                .resolve("w" + worker + "-s" + slot + "-a" + (tc == null ? 0 : tc.attemptNumber()) + ".state");
        long nonce = java.util.concurrent.ThreadLocalRandom.current().nextLong();
        try {
            StateFile.write(file, layout, bytes, nonce);
            return new Copy(bm.blockManagerId().host(), file.toString(), nonce);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot write {}: the workers on this host will fetch worker {}'s state as blocks", file, worker, e);
            return null;
        }
    }

    /** Pieces fetched ahead of the one being averaged: (1 + AHEAD) x workers x piece size of heap in flight. */
    static final int AHEAD = 1;

    /** Fetches on their own threads: a remote fetch waits on the network and the peer while this thread averages. */
    private static final ExecutorService FETCHERS = Executors.newCachedThreadPool(DaemonThreads.named("medseg-peer-fetch"));

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
        Counts counts = new Counts();
        RoundSum sum = new RoundSum(layout);
        List<List<Future<StatePiece>>> fetches = new ArrayList<>();
        try {
            for (int p = 0; p < layout.count(); p++) {
                while (fetches.size() < Math.min(layout.count(), p + 1 + AHEAD)) {
                    fetches.add(fetchAll(bm, left, fetches.size(), counts));
                }
                PieceSum s = new PieceSum();
                for (Future<StatePiece> f : fetches.get(p)) s.add(join(f));
                fetches.set(p, List.of()); // its pieces go once averaged
                sum.accept(p, s);
            }
        } finally {
            for (List<Future<StatePiece>> fs : fetches) fs.forEach(f -> f.cancel(true));
        }
        log.info("averaged {} workers' states: {} of {} pieces from other executors ({} from same-host files, {} as "
                + "blocks), {} s", left.workers().size(), counts.files.get() + counts.blocks.get(),
                layout.count() * left.workers().size(), counts.files.get(), counts.blocks.get(),
                String.format("%.2f", (System.nanoTime() - t0) / 1e9));
        return sum.average();
    }

    /**
     * Every worker's share of piece {@code p}: a block this executor holds is read here, on the task's thread (Spark
     * releases a task's block locks when it ends, whatever happens), the others on the fetch threads: from the
     * worker's {@link StateFile} if it is on this host and still holds the piece, else as a block.
     */
    private static List<Future<StatePiece>> fetchAll(BlockManager bm, Left left, int p, Counts counts) {
        List<Future<StatePiece>> out = new ArrayList<>();
        String host = bm.blockManagerId().host();
        for (var w : left.workers().entrySet()) {
            int worker = w.getKey();
            RDDBlockId id = block(left.id(), left.layout(), worker, p);
            StatePiece local = readLocal(bm, id, what(id, worker, p));
            if (local != null) {
                out.add(CompletableFuture.completedFuture(checked(local, p, worker, w.getValue())));
                continue;
            }
            Copy copy = left.copies().get(worker);
            boolean sameHost = copy != null && copy.host().equals(host);
            out.add(FETCHERS.submit(() -> {
                StatePiece fromFile = sameHost ? readFile(copy, left.layout(), p) : null;
                if (fromFile != null && isOf(fromFile, p, w.getValue())) {
                    counts.files.incrementAndGet();
                    return fromFile;
                }
                return checked(fetchRemote(bm, id, worker, p, counts.blocks), p, worker, w.getValue());
            }));
        }
        return out;
    }

    /** Pieces that came from other executors: read from their files, fetched as blocks. */
    private record Counts(AtomicInteger files, AtomicInteger blocks) {
        Counts() {
            this(new AtomicInteger(), new AtomicInteger());
        }
    }

    /** Piece {@code p} of a same-host worker's file, or null if the file no longer holds it (the block is fetched). */
    private static StatePiece readFile(Copy copy, StatePieces layout, int p) {
        try {
            return StateFile.read(Path.of(copy.file()), layout, p, copy.nonce());
        } catch (IOException | RuntimeException e) {
            log.warn("cannot read piece {} from {}: fetching it as a block", p, copy.file(), e);
            return null;
        }
    }

    /** The piece, if it is the one the round's result describes; else the state is as good as lost. */
    private static StatePiece checked(StatePiece piece, int p, int worker, StatePiece.Stats expected) {
        if (!isOf(piece, p, expected)) {
            throw new IllegalStateException(LOST + ": piece " + p + " of worker " + worker + " comes from "
                    + piece.stats() + ", the round's result was " + expected);
        }
        return piece;
    }

    /** Whether {@code piece} is piece {@code p} of the trajectory {@code expected} describes. */
    private static boolean isOf(StatePiece piece, int p, StatePiece.Stats expected) {
        return piece.piece() == p && piece.stats().sameTrajectory(expected);
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
            ByteBuffer bytes = local.get().toByteBuffer();
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
