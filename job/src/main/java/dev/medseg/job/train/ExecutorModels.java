package dev.medseg.job.train;

import dev.medseg.job.cli.UserError;

import dev.medseg.model.LlmWeights;
import dev.medseg.model.ModelConfig;
import dev.medseg.model.SegmentationNetwork;
import dev.medseg.model.backend.BackendInfo;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.train.SegmentationTrainer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.BlockId;
import org.apache.spark.storage.BlockManager;
import org.apache.spark.storage.BroadcastBlockId;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

import java.io.IOException;
import java.lang.ref.Reference;
import java.lang.reflect.Field;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * What an executor JVM keeps between rounds: the frozen LLM block (loaded once, shared by every graph in the JVM,
 * never shipped), and pools of built training graphs and evaluation graphs (graph building is costly, and one
 * graph serves one task at a time). Entries of an earlier run are dropped when another run's spec arrives.
 */
public final class ExecutorModels {
    private static final Logger log = LoggerFactory.getLogger(ExecutorModels.class);
    private static final Object LOCK = new Object();
    private static String currentKey;
    private static Map<String, INDArray> frozen;
    private static final ConcurrentLinkedDeque<SegmentationTrainer> trainers = new ConcurrentLinkedDeque<>();
    private static final Map<SegmentationTrainer, SlotOwner> slotOwners = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());
    private static final ConcurrentLinkedDeque<Graph> evalGraphs = new ConcurrentLinkedDeque<>();
    private static final Map<String, ModelConfig> configs = new ConcurrentHashMap<>();

    private ExecutorModels() {}

    /**
     * Runs {@code work} for worker {@code worker}'s round starting at step {@code step} with a training graph of this
     * run from the pool (built if none is free), returning it to the pool after. It prefers the graph that ended this
     * worker's previous round, whose optimizer slots are this worker's: {@code work} is told whether it got it.
     */
    public static <T> T withTrainerOf(RunSpec spec, int worker, long step, BiFunction<SegmentationTrainer, Boolean, T> work) {
        ExecutorDevice.bind();
        activate(spec);
        SlotOwner wanted = new SlotOwner(worker, step);
        SegmentationTrainer t = take(c -> wanted.equals(slotOwners.get(c)));
        boolean owns = t != null;
        // Else one no worker of this round still needs (untagged, or tagged at another step), else any, else a new one.
        if (t == null) t = take(c -> {
            SlotOwner o = slotOwners.get(c);
            return o == null || o.step() != step;
        });
        if (t == null) t = trainers.poll();
        if (t == null) t = build(spec);
        slotOwners.remove(t); // from here on its slots are this task's, whatever happens to it
        try {
            T result = work.apply(t, owns);
            slotOwners.put(t, new SlotOwner(worker, t.steps()));
            return result;
        } finally {
            trainers.push(t);
        }
    }

    /**
     * Drops this executor's deserialized copy of a broadcast once the training graph has copied it: a model-sized
     * array that would otherwise sit in the heap through the steps and the result's serialization, until the task
     * ends. Two holders: the block manager's copy, and the task's {@code Broadcast}, which keeps the value under a
     * soft reference that the GC clears only when the heap is nearly full (the executor's young collections then
     * carried 0.4-0.8 GB of dead state through each round's steps and gather). The
     * broadcast's serialized pieces stay for now (other executors may fetch them from here: see
     * {@link #dropBroadcastPieces}); a later {@code value()} on this executor rebuilds the value from them. Not in
     * local mode, where the driver's own copy serves every task.
     */
    static void dropBroadcastValue(Broadcast<?> b) {
        SparkEnv env = SparkEnv.get();
        if (env == null || "driver".equals(env.executorId())) return;
        removeLater(env.blockManager(), List.of(new BroadcastBlockId(b.id(), "")), false);
        Reference<?> cached = cachedValue(b);
        if (cached != null) cached.clear();
    }

    /**
     * Drops this executor's copies of a broadcast's serialized pieces once the worker no longer needs them (after
     * its steps): as much heap as the state itself, held otherwise until the driver destroys the broadcast at the end
     * of the round, through the result's serialization, the executor's peak. Not earlier: until then other executors
     * may still be fetching pieces from here (Spark's torrent); one that comes later is told the piece is gone and
     * takes the driver's. A later {@code value()} here fetches the pieces again (a worker that runs after another on
     * the same executor core in one round, when a round has more workers than task slots). Not in local mode (the
     * driver's pieces serve every task).
     */
    static void dropBroadcastPieces(Broadcast<?> b) {
        SparkEnv env = SparkEnv.get();
        if (env == null || "driver".equals(env.executorId())) return;
        dropPieces(env.blockManager(), b.id());
    }

    /** Removes the local pieces of broadcast {@code id}, off the calling thread (see {@link #removeLater}). */
    static Future<Integer> dropPieces(BlockManager bm, long id) {
        List<BlockId> pieces = CollectionConverters.asJava(bm.getMatchingBlockIds(new AbstractFunction1<BlockId, Object>() {
            @Override
            public Object apply(BlockId block) {
                return block instanceof BroadcastBlockId p && p.broadcastId() == id && p.field().startsWith("piece");
            }
        }));
        return removeLater(bm, pieces, true); // tell the master, so no executor asks this one for them again
    }

    /** Removes blocks: daemon threads that wait for a block's readers, each removal on its own. */
    private static final ExecutorService REMOVER = Executors.newCachedThreadPool(DaemonThreads.named("medseg-block-remover"));

    /**
     * Removes {@code blocks} from this executor's block manager on another thread; the future gives how many there
     * were. Why not on the task's thread: a task that read a block (a broadcast's value or pieces found here) holds
     * a read lock on it until the task completes, and {@code BlockManager.removeBlock} waits for every reader, the
     * caller's own lock included: it would wait forever. Here it waits for the task's end at worst.
     */
    static Future<Integer> removeLater(BlockManager bm, List<BlockId> blocks, boolean tellMaster) {
        return REMOVER.submit(() -> {
            int n = 0;
            for (BlockId block : blocks) {
                if (bm.getStatus(block).isEmpty()) continue; // gone already (the driver destroyed the broadcast)
                bm.removeBlock(block, tellMaster);
                n++;
            }
            return n;
        });
    }

    /** The reference by which Spark's {@code TorrentBroadcast} keeps its value, or null if this Spark has none. */
    static Reference<?> cachedValue(Broadcast<?> b) {
        try {
            Field f = b.getClass().getDeclaredField("_value");
            f.setAccessible(true);
            return f.get(b) instanceof Reference<?> r ? r : null;
        } catch (ReflectiveOperationException | RuntimeException e) { // another Spark: the value then lives until the task ends
            log.debug("cannot clear the cached value of broadcast {}: {}", b.id(), e.toString());
            return null;
        }
    }

    /** Whose optimizer slots a pooled trainer holds: the worker's whose round it last ended, and at which step. */
    private record SlotOwner(int worker, long step) {}

    /** Removes and returns a pooled trainer that {@code pick} accepts, or null. */
    private static SegmentationTrainer take(java.util.function.Predicate<SegmentationTrainer> pick) {
        for (SegmentationTrainer c : trainers) {
            if (pick.test(c) && trainers.removeFirstOccurrence(c)) return c;
        }
        return null;
    }

    /**
     * Runs {@code work} with a newly built training graph (its parameters at their seeded initialisation), which
     * then joins the pool.
     */
    public static <T> T withFreshTrainer(RunSpec spec, Function<SegmentationTrainer, T> work) {
        ExecutorDevice.bind();
        activate(spec);
        SegmentationTrainer t = build(spec);
        try {
            return work.apply(t);
        } finally {
            trainers.push(t);
        }
    }

    private static SegmentationTrainer build(RunSpec spec) {
        TrainSettings ts = spec.train();
        long t0 = System.nanoTime();
        SegmentationTrainer t = new SegmentationTrainer(model(spec), ts.loss(), ts.optimizer(), ts.batchSizePerWorker(),
                ts.seed(), frozenSource(spec));
        log.info("built training graph in {} s", String.format("%.1f", (System.nanoTime() - t0) / 1e9));
        return t;
    }

    /** Runs {@code work} with an eval-mode graph of this run; the caller sets its parameters. */
    public static <T> T withEvalGraph(RunSpec spec, Function<Graph, T> work) {
        ExecutorDevice.bind();
        activate(spec);
        Graph g = evalGraphs.poll();
        if (g == null) {
            g = new Graph(Graph.Mode.EVAL, 0, spec.train().seed(), DataType.FLOAT, frozenSource(spec));
            SegmentationNetwork.build(g, model(spec));
        }
        try {
            return work.apply(g);
        } finally {
            evalGraphs.push(g);
        }
    }

    /** The run's model config, parsed once per JVM. */
    public static ModelConfig model(RunSpec spec) {
        return configs.computeIfAbsent(spec.cacheKey(), k -> spec.model());
    }

    private static void activate(RunSpec spec) {
        synchronized (LOCK) {
            if (spec.cacheKey().equals(currentKey)) return;
            trainers.clear();
            slotOwners.clear();
            evalGraphs.clear();
            configs.clear();
            frozen = null;
            currentKey = spec.cacheKey();
        }
    }

    /** The frozen block's weights by graph name, loaded once per JVM; null when the run draws random ones. */
    private static Function<String, INDArray> frozenSource(RunSpec spec) {
        ModelConfig m = model(spec);
        if (m.llm().isEmpty() || spec.llmCheckpoint().isEmpty()) return null;
        synchronized (LOCK) {
            if (frozen == null) {
                requireOffHeap(blockBytes(m.llm().get()), org.bytedeco.javacpp.Pointer.maxBytes(),
                        org.bytedeco.javacpp.Pointer.totalBytes());
                long t0 = System.nanoTime();
                Path local = localCopy(spec.llmCheckpoint());
                frozen = LlmWeights.load(local, spec.llmLayer(), m.llm().get(), DataType.FLOAT);
                log.info("loaded frozen LLM block from {} in {} s", spec.llmCheckpoint(),
                        String.format("%.1f", (System.nanoTime() - t0) / 1e9));
            }
            Map<String, INDArray> f = frozen;
            return f::get;
        }
    }

    /** How {@link #requireOffHeap}'s message starts: the driver finds it in a failed task's report. */
    static final String OFF_HEAP_REFUSAL = "the frozen LLM block needs";

    /**
     * {@code e} as the user should see it: when an executor refused to load the frozen block for lack of off-heap
     * memory, a {@link UserError} with that one line (Spark reports task failures as a long stack trace whose
     * message embeds the executor's exception); otherwise {@code e} itself, rethrown as it is (Spark's
     * {@code SparkException} is a checked exception that Java callers of JavaRDD never see declared).
     */
    static RuntimeException explainTaskFailure(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            int at = m == null ? -1 : m.indexOf(OFF_HEAP_REFUSAL);
            if (at >= 0) {
                int end = m.indexOf('\n', at);
                return new UserError("an executor refused to train: " + (end < 0 ? m.substring(at) : m.substring(at, end)), e);
            }
        }
        return ExecutorModels.<RuntimeException>rethrow(e);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Exception> T rethrow(Exception e) throws T {
        throw (T) e;
    }

    /** Bytes of the frozen block as stored: attention and SwiGLU FFN matrices as {@code l.storage()}, the two norms in fp32. */
    static long blockBytes(ModelConfig.Llm l) {
        long d = l.dim(), kv = (long) l.kvHeads() * l.headDim(), f = l.ffnDim();
        return (long) l.storage().bytes() * (2 * d * d + 2 * kv * d + 3 * f * d) + 4L * 2 * d;
    }

    /**
     * Fails fast, saying how much is needed, when this JVM's ND4J off-heap budget (JavaCPP maxbytes) cannot hold
     * the frozen block, instead of an out-of-memory error somewhere inside the first training step.
     */
    static void requireOffHeap(long needed, long maxBytes, long usedBytes) {
        if (maxBytes <= 0) return; // unlimited
        long left = maxBytes - usedBytes;
        if (needed > left) {
            throw new IllegalStateException(String.format(OFF_HEAP_REFUSAL + " %.2f GB of off-heap memory but this "
                    + "JVM has %.2f GB left of its ND4J limit (org.bytedeco.javacpp.maxbytes = %.2f GB); the model and "
                    + "its activations need more on top. Raise -Dorg.bytedeco.javacpp.maxbytes (and, on a cluster, "
                    + "spark.executor.memoryOverhead; see submit/README.md)", needed / 1e9, left / 1e9, maxBytes / 1e9));
        }
    }

    /**
     * A local path for a checkpoint: the path itself when local, else a copy in the executor's temp directory,
     * made once (a file named after the URI), so workers can read weights staged on HDFS or S3.
     */
    static Path localCopy(String location) {
        URI uri = URI.create(location.contains(":/") ? location : Path.of(location).toUri().toString());
        if (uri.getScheme() == null || uri.getScheme().equals("file")) return Path.of(uri);
        try {
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "medseg-llm");
            Files.createDirectories(dir);
            Path target = dir.resolve(Integer.toHexString(location.hashCode()) + "-" + Path.of(uri.getPath()).getFileName());
            if (!Files.exists(target)) {
                Path part = Files.createTempFile(dir, "copy", ".partial");
                FileSystem fs = FileSystem.get(uri, hadoopConf());
                fs.copyToLocalFile(false, new org.apache.hadoop.fs.Path(uri), new org.apache.hadoop.fs.Path(part.toUri()), true);
                Files.move(part, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("copying the LLM block from " + location + ": " + e.getMessage(), e);
        }
    }

    /** The executor's Hadoop configuration, with the job's spark.hadoop.* settings (e.g. S3 credentials). */
    private static Configuration hadoopConf() {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        return env == null ? new Configuration()
                : org.apache.spark.deploy.SparkHadoopUtil.get().newConfiguration(env.conf());
    }

    /**
     * On the CUDA backend: refuses GPUs the CUDA 11.6 build has no kernels for (once per JVM), and binds the
     * task's Spark-assigned GPU. Nothing on CPU.
     */
    static final class ExecutorDevice {
        private static volatile boolean checked;

        private ExecutorDevice() {}

        static void bind() {
            if (Nd4j.getEnvironment().isCPU()) return;
            if (!checked) {
                String reason = BackendInfo.probe().unsupportedReason();
                if (reason != null) throw new IllegalStateException(reason);
                checked = true;
            }
            TaskContext tc = TaskContext.get();
            if (tc == null) return;
            var gpu = tc.resources().get("gpu");
            if (gpu.isEmpty()) return;
            String[] addresses = gpu.get().addresses();
            if (addresses.length == 0) return;
            Nd4j.getAffinityManager().unsafeSetDevice(Integer.parseInt(addresses[0].trim()));
        }
    }
}
