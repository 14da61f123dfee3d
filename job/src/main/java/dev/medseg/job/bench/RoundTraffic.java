package dev.medseg.job.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bytes one averaging round moves with {@code workers} workers, as {@code TrainJob} does it: every executor fetches
 * the broadcast {@code TrainState} once (Spark TorrentBroadcast: 4 MiB pieces from the driver or from executors that
 * already hold them), and one {@code JavaRDD.treeAggregate} (depth 2) per piece of the state moves the
 * {@code PieceSum}s: each level's partial sums cross the network once (to the next level's shuffle tasks, the last
 * level to the driver). The first level's sums hold one worker each and travel as float; merged sums (later levels)
 * as double. The pieces add up to the whole state, so the bytes are those of whole-state sums.
 * Serialization headers, compression and loopback shortcuts are left out.
 *
 * @param size    the state
 * @param workers worker partitions, one per executor
 */
public record RoundTraffic(TrainStateSize size, int workers) {
    /** Checks the worker count. */
    public RoundTraffic {
        if (size == null || workers < 1) throw new IllegalArgumentException("a state size and >= 1 worker required");
    }

    /**
     * The partial-sum counts of Spark's {@code treeAggregate(depth = 2)}: the first level is one sum per worker;
     * a shuffle level to {@code n / scale} partitions is added only while {@code n > scale + ceil(n / scale)},
     * {@code scale = max(ceil(sqrt(n)), 2)}; the last level's sums go to the driver, which merges them. 2 and 4
     * workers: [N] (straight to the driver); 8: [8, 2]; 16: [16, 4].
     */
    public static List<Integer> treeLevels(int partitions) {
        if (partitions < 1) throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        List<Integer> levels = new ArrayList<>(List.of(partitions));
        int n = partitions;
        int scale = Math.max((int) Math.ceil(Math.pow(n, 1.0 / 2)), 2);
        while (n > scale + Math.ceil((double) n / scale)) {
            n /= scale;
            levels.add(n);
        }
        return levels;
    }

    /** Bytes every executor receives of the broadcast. */
    public long broadcastBytesPerExecutor() {
        return size.broadcastBytes();
    }

    /** Broadcast bytes over all executors (whether the driver or a peer serves each piece). */
    public long broadcastBytes() {
        return workers * size.broadcastBytes();
    }

    /** Aggregation bytes over all levels: every partial sum of every level is sent once. */
    public long aggregationBytes() {
        List<Integer> levels = treeLevels(workers);
        long bytes = 0;
        for (int i = 0; i < levels.size(); i++) bytes += levels.get(i) * sumBytes(i);
        return bytes;
    }

    /** Bytes the driver receives in the last level. */
    public long driverInboundBytes() {
        List<Integer> levels = treeLevels(workers);
        return levels.get(levels.size() - 1) * sumBytes(levels.size() - 1);
    }

    /** One partial sum of tree level {@code level}: a single worker's float state first, merged doubles after. */
    private long sumBytes(int level) {
        return level == 0 ? size.broadcastBytes() : size.resultBytes();
    }

    /**
     * Bytes of a round of {@code train.exchange = peers}: every worker fetches the other workers' states (its own is
     * on its executor), as float, and nothing goes through the driver.
     */
    public long peerExchangeBytes() {
        return (long) workers * (workers - 1) * size.broadcastBytes();
    }

    /** Broadcast plus aggregation. */
    public long totalBytes() {
        return broadcastBytes() + aggregationBytes();
    }

    /** The figures' config: the state's sizes and how they move. */
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("params", size.params());
        m.put("optimizer_slots", size.slots());
        m.put("buffers", size.buffers());
        m.put("workers", workers);
        m.put("broadcast_bytes_per_executor", broadcastBytesPerExecutor());
        m.put("first_level_bytes_per_sum", size.broadcastBytes());
        m.put("merged_bytes_per_sum", size.resultBytes());
        m.put("tree_levels", treeLevels(workers));
        m.put("aggregation_bytes", aggregationBytes());
        m.put("driver_inbound_bytes", driverInboundBytes());
        return m;
    }
}
