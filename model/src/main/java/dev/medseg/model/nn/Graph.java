package dev.medseg.model.nn;

import dev.medseg.model.OffHeap;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A SameDiff graph under construction plus what the builder records about it: which variables are trainable,
 * which are frozen constants, and which are batch-statistics buffers (BatchNorm running mean/var) with the graph
 * outputs that update them. Parameter names are the reference PyTorch state-dict keys.
 *
 * <p>Initial values are drawn from a generator seeded by (seed, parameter name), so a parameter's initial value does
 * not depend on the order in which the graph was built.
 */
public final class Graph {
    public enum Mode {
        /** Dropout active, BatchNorm normalises with batch statistics and reports them. Static batch size. */
        TRAIN,
        /** No dropout, BatchNorm uses running statistics. Any batch size. */
        EVAL
    }

    /** A BatchNorm's running-statistics buffers and the graph outputs holding this batch's statistics. */
    public record BatchStats(String runningMean, String runningVar, String batchMean, String batchVar, long count) {}

    private final SameDiff sd = SameDiff.create();
    private final Mode mode;
    private final int batch;
    private final int replicas;
    private final long seed;
    private final DataType dtype;
    private final Map<String, long[]> trainable = new LinkedHashMap<>();
    private final Map<String, long[]> frozen = new LinkedHashMap<>();
    private final java.util.Set<String> transposed = new java.util.HashSet<>();
    private final List<BatchStats> batchStats = new ArrayList<>();
    private final Map<String, long[]> buffers = new LinkedHashMap<>();
    private final Function<String, INDArray> frozenSource;
    private int dropoutSites;
    /** The forward pass's latest product with a widened frozen matrix (see {@link FrozenMatmul#widened}). */
    private SDVariable lastWidenedProduct;

    /**
     * @param batch        the static batch size in TRAIN mode (dropout masks need it); ignored in EVAL
     * @param frozenSource supplies frozen weights by name (shared arrays, never copied), or null to draw them
     */
    public Graph(Mode mode, int batch, long seed, DataType dtype, Function<String, INDArray> frozenSource) {
        this(mode, batch, 1, seed, dtype, frozenSource);
    }

    /**
     * A TRAIN graph run as {@code replicas} copies side by side, each on {@code batch} samples of a step
     * ({@code SegmentationTrainer}): BatchNorm's statistics and the loss's batch sums are then sums over the
     * replicas ({@link #sumOverReplicas}), so together they compute one pass over replicas·batch samples.
     */
    public Graph(Mode mode, int batch, int replicas, long seed, DataType dtype, Function<String, INDArray> frozenSource) {
        if (mode == Mode.TRAIN && batch <= 0) throw new IllegalArgumentException("TRAIN mode needs a batch size > 0");
        if (replicas < 1 || replicas > 1 && mode != Mode.TRAIN) {
            throw new IllegalArgumentException(replicas + " replicas of a " + mode + " graph");
        }
        this.mode = mode;
        this.batch = batch;
        this.replicas = replicas;
        this.seed = seed;
        this.dtype = dtype;
        this.frozenSource = frozenSource;
        // Plain holders keep the arrays we hand in (the default thread-safe holder copies them): trainers make
        // each parameter a view of one flat vector, and frozen weights must stay shared, never duplicated.
        sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
    }

    public SameDiff sd() { return sd; }
    public Mode mode() { return mode; }
    public boolean training() { return mode == Mode.TRAIN; }
    /** TRAIN: the samples one replica of the graph is fed (the whole step's batch with one replica). */
    public int batch() { return batch; }
    /** How many replicas of this graph make one step (1: the graph alone). */
    public int replicas() { return replicas; }

    /** x summed over the replicas of a step; x itself when the graph runs alone. */
    public SDVariable sumOverReplicas(SDVariable x) {
        return replicas == 1 ? x : ReplicaSum.of(sd, x);
    }
    public DataType dtype() { return dtype; }
    public Map<String, long[]> trainable() { return trainable; }
    public Map<String, long[]> frozen() { return frozen; }
    public List<BatchStats> batchStats() { return batchStats; }
    /** Non-trainable state that checkpoints carry (BatchNorm running statistics). */
    public Map<String, long[]> buffers() { return buffers; }

    /** How parameters start when no checkpoint provides them. */
    public enum Init { ZEROS, ONES, UNIFORM_FAN_IN, XAVIER_UNIFORM, NORMAL_1E6, NORMAL_002 }

    /** A trainable parameter. */
    public SDVariable param(String name, Init init, long fanIn, long fanOut, long... shape) {
        if (trainable.containsKey(name) || frozen.containsKey(name)) throw new IllegalStateException("duplicate parameter " + name);
        trainable.put(name, shape.clone());
        return sd.var(name, initial(name, init, fanIn, fanOut, shape));
    }

    /**
     * A frozen weight: a constant of the graph (no gradient, no optimizer state, never averaged). Taken from the
     * frozen source when there is one (the array is shared, not copied), else drawn with {@code init}.
     */
    public SDVariable frozen(String name, Init init, long fanIn, long... shape) {
        return frozen(name, init, fanIn, dtype, shape);
    }

    /**
     * As {@link #frozen(String, Init, long, long...)}, kept as {@code storage} (the frozen source must supply that
     * type; drawn weights are drawn in the graph's type and then rounded to it).
     */
    public SDVariable frozen(String name, Init init, long fanIn, DataType storage, long... shape) {
        return frozen(name, storage, shape, () -> initial(name, init, fanIn, shape[0], shape));
    }

    /** A frozen weight of {@code shape} from the frozen source, else {@code drawn} (in the graph's type). */
    private SDVariable frozen(String name, DataType storage, long[] shape, java.util.function.Supplier<INDArray> drawn) {
        if (trainable.containsKey(name) || frozen.containsKey(name)) throw new IllegalStateException("duplicate parameter " + name);
        frozen.put(name, shape.clone());
        INDArray arr = frozenSource == null ? null : frozenSource.apply(name);
        if (arr == null) {
            arr = OffHeap.as(drawn.get(), storage);
        } else if (!Arrays.equals(arr.shape(), shape)) {
            throw new IllegalArgumentException("frozen weight " + name + " has shape " + Arrays.toString(arr.shape())
                    + " but the model config needs " + Arrays.toString(shape));
        } else if (arr.dataType() != storage) {
            throw new IllegalArgumentException("frozen weight " + name + " is " + arr.dataType() + ", the model keeps it as " + storage);
        }
        return sd.constant(name, arr);
    }

    /**
     * A frozen weight matrix of a linear map from {@code in} to {@code out} features ({@link FrozenMatmul}), [out, in]
     * as checkpoints and PyTorch hold it, kept transposed as [in, out] where {@link #keptTransposed} says: libnd4j's
     * oneDNN product runs x·W faster than x·Wᵀ for maps that do not shrink (LLaMA-7B's 4096→11008 product at 512
     * token rows: 212 against 273 ms on 2 cores; 4096→4096: 82 against 102 ms), while for 11008→4096 the two are
     * level and the backward product dy·W of the [out, in] layout is the fast one. A frozen source supplies the
     * matrix as kept ({@code LlmWeights.load} transposes on load); drawn weights are drawn as [out, in], as before,
     * then transposed. {@link #storedTransposed} tells checkpoint readers ({@code StateDict}).
     */
    public SDVariable frozenMatrix(String name, Init init, long fanIn, DataType storage, long out, long in) {
        if (!keptTransposed(out, in)) return frozen(name, init, fanIn, storage, out, in);
        SDVariable w = frozen(name, storage, new long[]{in, out}, () -> {
            INDArray drawn = initial(name, init, fanIn, out, new long[]{out, in});
            INDArray kept = drawn.transpose().dup('c');
            drawn.close();
            return kept;
        });
        transposed.add(name);
        return w;
    }

    /** Whether a frozen [out, in] matrix is kept as its transpose: when the map does not shrink (out ≥ in). */
    public static boolean keptTransposed(long out, long in) {
        return out >= in;
    }

    /** Whether frozen weight {@code name} is kept as the transpose of its checkpoint layout ({@link #frozenMatrix}). */
    public boolean storedTransposed(String name) { return transposed.contains(name); }

    SDVariable lastWidenedProduct() { return lastWidenedProduct; }

    void lastWidenedProduct(SDVariable y) { lastWidenedProduct = y; }

    /** A BatchNorm running-statistics buffer: a constant the trainer overwrites after each step. */
    public SDVariable buffer(String name, double value, long... shape) {
        buffers.put(name, shape.clone());
        return sd.constant(name, Nd4j.valueArrayOf(shape, value, dtype));
    }

    void addBatchStats(BatchStats s) { batchStats.add(s); }

    /**
     * Inverted dropout with a mask drawn by ND4J's generator (seed it per step for reproducible runs). Identity in
     * EVAL mode or for p = 0. {@code fullShape} is the activation's static shape, batch included: SameDiff's
     * dropout ops have no gradient, so the mask is an explicit Bernoulli draw.
     */
    public SDVariable dropout(SDVariable x, double p, long... fullShape) {
        if (!training() || p == 0) return x;
        dropoutSites++;
        // x·(mask/(1 − p)) whose gradient reads only the scaled mask: x is freed after the forward pass (x·mask
        // then /(1 − p) kept x and the mask for multiply_bp until the backward pass).
        SDVariable mask = sd.random().bernoulli("dropout_mask_" + dropoutSites, 1 - p, dtype, fullShape);
        return BroadcastMul.byConstant(sd, x, mask.div(1 - p));
    }

    private INDArray initial(String name, Init init, long fanIn, long fanOut, long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(name + " is too large: " + n);
        final long count = n;
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ name.hashCode());
        // Drawn straight into off-heap memory: a heap float[] per weight would stage the whole model (and a random
        // LLaMA block, 810 MB) on the Java heap too.
        INDArray a = OffHeap.floats(shape, v -> {
            switch (init) {
                case ZEROS -> { for (long i = 0; i < count; i++) v.put(0f); }
                case ONES -> { for (long i = 0; i < count; i++) v.put(1f); }
                case UNIFORM_FAN_IN -> { // PyTorch's default for Linear and Conv: kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in))
                    double b = 1.0 / Math.sqrt(fanIn);
                    for (long i = 0; i < count; i++) v.put((float) r.nextDouble(-b, b));
                }
                case XAVIER_UNIFORM -> {
                    double b = Math.sqrt(6.0 / (fanIn + fanOut));
                    for (long i = 0; i < count; i++) v.put((float) r.nextDouble(-b, b));
                }
                case NORMAL_1E6 -> { for (long i = 0; i < count; i++) v.put((float) (1e-6 * gaussian(r))); }
                case NORMAL_002 -> { for (long i = 0; i < count; i++) v.put((float) (0.02 * gaussian(r))); }
            }
        });
        return OffHeap.as(a, dtype);
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
