package dev.medseg.model.train;

import dev.medseg.model.ModelConfig;
import dev.medseg.model.SegmentationNetwork;
import dev.medseg.model.TransUNet;
import dev.medseg.model.nn.ControlDependencies;
import dev.medseg.model.nn.CpuReplicas;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.nn.Inference;
import dev.medseg.model.nn.QuietStdout;
import dev.medseg.model.nn.ReplicaGroup;
import dev.medseg.model.nn.StaticPlan;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model in training: the TRAIN-mode graph with its loss, the trainable parameters held in one flat vector
 * (each SameDiff variable is a view into it, so the optimizer updates the graph in place), the optimizer-state
 * vectors in the same layout (gradients are applied parameter by parameter once the step has made them all, see
 * {@link StepSink}), and the BatchNorm running statistics. Frozen weights are graph constants shared with whoever
 * supplied them. Not thread-safe: one trainer per task slot.
 */
public final class SegmentationTrainer {
    private static final Logger log = LoggerFactory.getLogger(SegmentationTrainer.class);
    /** BatchNorm's running-statistics momentum (PyTorch's default 0.1). */
    static final double BN_MOMENTUM = 0.1;

    private final ModelConfig model;
    private final SegmentationLoss loss;
    private final Optimizer optimizer;
    private final int batch;
    /** Copies of the graph that run a step side by side, each on batch / replicas samples ({@link CpuReplicas}). */
    private final int replicas;
    private final Graph graph;
    private final ParamLayout params;
    private final ParamLayout buffers;
    private final INDArray flatParams;
    private final INDArray[] slots;
    private final INDArray scratch;
    /** What a step reads from the gradient function (pinned by {@link EagerRelease}): loss, batch statistics, gradients. */
    private final Set<String> kept = new HashSet<>();
    /** The one output a step asks SameDiff for: the {@link StepSink} of everything in {@link #kept}. */
    private final List<String> requested;
    /** The gradient function's variable holding each parameter's gradient, in {@link #params} order. */
    private final String[] gradients;
    private EagerRelease eager;
    private LiveProfile liveProfile;
    private ClosingMemoryMgr currentSession;
    /**
     * The gradient function as a {@link StaticPlan} computing {@link #kept} (made on the first step; empty when the
     * graph needs SameDiff's session), and what its last pass made.
     */
    private java.util.Optional<StaticPlan> plan;
    /** With replicas: a plan and a memory manager per replica (each plan has its own op contexts). */
    private StaticPlan[] replicaPlans;
    private ClosingMemoryMgr[] replicaMemory;
    private Map<String, INDArray> planned = Map.of();
    private boolean usePlan = Inference.staticPlans();
    private boolean lastStepPlanned;
    private long step;

    /** The result of one step: the loss before the update and the rate used. */
    public record StepResult(double loss, double learningRate) {}

    /**
     * Builds the graph. {@code frozen} supplies the frozen LLM weights by name (shared, not copied), or null to
     * draw them (tests). Parameters start at the graph's seeded initialisation. Steps run as
     * {@link CpuReplicas#forTraining} replicas of the graph side by side.
     */
    public SegmentationTrainer(ModelConfig model, SegmentationLoss loss, Optimizer optimizer, int batch, long seed,
                               Function<String, INDArray> frozen) {
        this(model, loss, optimizer, batch, seed, frozen, CpuReplicas.forTraining(batch));
    }

    /**
     * As above, with steps run as {@code replicas} copies of the graph side by side, each on batch / replicas of
     * the samples (1: one pass over the batch). BatchNorm's statistics and the Dice loss's sums are taken over the
     * whole batch either way, so a step computes the same loss, gradients and statistics (up to float rounding).
     */
    public SegmentationTrainer(ModelConfig model, SegmentationLoss loss, Optimizer optimizer, int batch, long seed,
                               Function<String, INDArray> frozen, int replicas) {
        loss.checkClasses(model.numClasses());
        if (replicas < 1 || batch % replicas != 0) {
            throw new IllegalArgumentException("a batch of " + batch + " cannot be split into " + replicas + " replicas");
        }
        this.model = model;
        this.loss = loss;
        this.optimizer = optimizer;
        this.batch = batch;
        this.replicas = replicas;
        int perReplica = batch / replicas;
        this.graph = new Graph(Graph.Mode.TRAIN, perReplica, replicas, seed, DataType.FLOAT, frozen);
        SDVariable logits = SegmentationNetwork.build(graph, model);
        loss.build(graph, logits, perReplica, model.numClasses(), model.imageSize(), model.imageSize());
        this.params = ParamLayout.of(graph.trainable());
        this.buffers = ParamLayout.of(graph.buffers());
        SameDiff sd = graph.sd();
        flatParams = Nd4j.create(DataType.FLOAT, params.size());
        for (ParamLayout.Entry e : params.entries()) {
            INDArray view = view(flatParams, e);
            INDArray initial = sd.getArrForVarName(e.name());
            view.assign(initial);
            sd.getVariable(e.name()).setArray(view);
            // Graph drew it for this variable alone: free it now rather than at some later GC (421 MB in all).
            if (initial.closeable()) initial.close();
        }
        slots = new INDArray[optimizer.slots()];
        for (int i = 0; i < slots.length; i++) slots[i] = Nd4j.create(DataType.FLOAT, params.size());
        // SGD never touches the scratch vector: skip it (a parameter-sized array, 421 MB for R50-ViT-B/16).
        scratch = optimizer instanceof Optimizer.Sgd ? null : Nd4j.create(DataType.FLOAT, params.size());
        // Build the backward graph now, quietly (SameDiff prints a line per op on stdout when it does).
        QuietStdout.call(() -> {
            sd.createGradFunction();
            return null;
        });
        // createGradFunction copies every parameter into the gradient function (SameDiff.var(SDVariable) dups the
        // array) and then points it at ours: the copies, a parameter-sized 421 MB for R50-ViT-B/16, are unreachable
        // but their native memory goes only when the GC finalises them, which a small, quiet heap may never do.
        System.gc();
        SameDiff gradFn = sd.getFunction("grad");
        ControlDependencies.copy(sd, gradFn); // e.g. widening a half-precision frozen matrix only when it is needed
        List<SDVariable> read = new ArrayList<>();
        for (Graph.BatchStats s : graph.batchStats()) {
            read.add(gradFn.getVariable(s.batchMean()));
            read.add(gradFn.getVariable(s.batchVar()));
        }
        gradients = new String[params.entries().size()];
        for (int i = 0; i < gradients.length; i++) {
            String name = params.entries().get(i).name();
            SDVariable g = sd.getGradForVariable(name);
            if (g == null) throw new IllegalStateException("no gradient for " + name + ": the loss does not depend on it");
            gradients[i] = g.name();
            read.add(gradFn.getVariable(g.name()));
        }
        SDVariable lossValue = gradFn.getVariable(SegmentationLoss.LOSS);
        kept.add(lossValue.name());
        for (SDVariable v : read) kept.add(v.name());
        requested = List.of(StepSink.of(gradFn, lossValue, read).name());
    }

    public ModelConfig model() { return model; }
    public SegmentationLoss loss() { return loss; }
    public Optimizer optimizer() { return optimizer; }
    public int batch() { return batch; }
    /** How many copies of the graph run each step side by side (1: one pass over the batch). */
    public int replicas() { return replicas; }
    public ParamLayout params() { return params; }
    public ParamLayout buffers() { return buffers; }
    /** The graph (for inspection and tests; train through {@link #step}). */
    public Graph graph() { return graph; }
    /** Runs the following steps as a {@link StaticPlan} (when the graph allows) or in SameDiff's session (tests). */
    void useStaticPlan(boolean on) {
        usePlan = on;
    }

    /** Whether the last step ran as a {@link StaticPlan}. */
    boolean lastStepPlanned() {
        return lastStepPlanned;
    }

    /** Intermediate arrays freed during the last step, before it ended (0 before the first step). */
    int intermediatesFreedLastStep() {
        if (lastStepPlanned && replicas > 1) {
            int n = 0;
            for (StaticPlan p : replicaPlans) n += p.freedLastRun();
            return n;
        }
        if (lastStepPlanned) return plan.get().freedLastRun();
        return eager == null ? 0 : eager.closedLastStep();
    }

    /**
     * Op outputs of the last step whose memory skipped libnd4j's zero-filling, and how many of them were still
     * allocated when it ended (always 0: every array a step's session hands out is freed by its end).
     */
    long[] unzeroedOutputsLastStep() {
        return currentSession == null ? new long[2]
                : new long[]{currentSession.unzeroedOutputs, currentSession.unzeroedLive()};
    }

    /** Optimizer updates done so far. */
    public long steps() { return step; }

    /**
     * From the next step on, records which intermediate arrays are alive at each step's memory peak (a diagnostic
     * that slows steps several times: {@code bench train-step --live-profile}). Returns the profile it fills.
     */
    public LiveProfile profileLiveArrays() {
        if (replicas > 1) {
            throw new IllegalStateException("live-array profiles need steps as one pass (this trainer runs " + replicas
                    + " replicas; -Dmedseg.cpuReplicas=1)");
        }
        liveProfile = new LiveProfile();
        if (eager != null) eager.profile(liveProfile);
        return liveProfile;
    }

    /** The current state, copied out. */
    public TrainState state() {
        float[][] s = new float[slots.length][];
        for (int i = 0; i < s.length; i++) s[i] = FloatVectors.read(slots[i]);
        return new TrainState(step, FloatVectors.read(flatParams), s, readBuffers());
    }

    /**
     * The current state without the optimizer slots (which are not copied out): what a worker that keeps its
     * optimizer state to itself sends back. {@link #loadKeepingSlots} takes it.
     */
    public TrainState stateWithoutSlots() {
        return new TrainState(step, FloatVectors.read(flatParams), new float[0][], readBuffers());
    }

    /** How many optimizer vectors (each as long as the parameters) this trainer keeps: 0, 1 or 2. */
    public int slotCount() {
        return slots.length;
    }

    /** Replaces the whole state (parameters, optimizer slots, buffers, step). */
    public void load(TrainState s) {
        if (s.slots().length != slots.length) {
            throw new IllegalArgumentException("state has " + s.slots().length + " optimizer slots, " + optimizer.id()
                    + " keeps " + slots.length);
        }
        loadParamsAndBuffers(s);
        for (int i = 0; i < slots.length; i++) FloatVectors.write(slots[i], s.slots()[i]);
    }

    /**
     * Replaces parameters, buffers and step from a state that carries no optimizer slots, and leaves this trainer's
     * slots as they are (they go on from where this trainer's last step left them).
     */
    public void loadKeepingSlots(TrainState s) {
        if (s.slots().length != 0) {
            throw new IllegalArgumentException("loadKeepingSlots takes a state without optimizer slots, this one has "
                    + s.slots().length);
        }
        loadParamsAndBuffers(s);
    }

    /** Sets the optimizer slots to zero, as a new optimizer starts (momentum, Adam moments). */
    public void resetSlots() {
        for (INDArray a : slots) a.assign(0);
    }

    private void loadParamsAndBuffers(TrainState s) {
        if (s.params().length != params.size()) {
            throw new IllegalArgumentException("state has " + s.params().length + " parameters, the model " + params.size());
        }
        if (s.buffers().length != buffers.size()) {
            throw new IllegalArgumentException("state has " + s.buffers().length + " buffer values, the model " + buffers.size());
        }
        FloatVectors.write(flatParams, s.params());
        SameDiff sd = graph.sd();
        INDArray all = Nd4j.createFromArray(s.buffers());
        for (ParamLayout.Entry e : buffers.entries()) {
            INDArray src = all.get(NDArrayIndex.interval(e.offset(), e.offset() + e.length()));
            sd.getArrForVarName(e.name()).assign(src.reshape(e.shape()));
        }
        if (all.closeable()) all.close();
        step = s.step();
    }

    /**
     * One optimizer step on a batch: forward, loss, backward, update, BatchNorm running statistics.
     *
     * @param images  B·C·H·W floats, C order, B = {@link #batch()}
     * @param labels  B·H·W class ids
     * @param lr      this step's learning rate
     * @param rngSeed seeds the dropout masks, so a repeated step (a retried task) draws the same masks
     */
    public StepResult step(float[] images, byte[] labels, double lr, long rngSeed) {
        int s = model.imageSize();
        long expected = (long) batch * model.inChannels() * s * s;
        if (images.length != expected) {
            throw new IllegalArgumentException("batch of " + images.length + " image values, expected " + expected
                    + " = " + batch + "x" + model.inChannels() + "x" + s + "x" + s);
        }
        float[] target = loss.target(labels, batch, model.numClasses(), s, s);
        if (replicas > 1) return replicatedStep(images, target, lr, rngSeed);
        Map<String, INDArray> feed = feed(images, target, 0, batch);
        Nd4j.getRandom().setSeed(rngSeed);
        ClosingMemoryMgr session = freeReleasedArrays();
        StaticPlan p = stepPlan();
        lastStepPlanned = p != null;
        Map<String, INDArray> outputs;
        if (p != null) {
            currentSession = session;
            // The plan frees each intermediate after its last reader itself; EagerRelease does that for the session.
            planned = p.run(feed, session, Operation.TRAINING, l -> !(l instanceof EagerRelease));
            outputs = planned;
        } else {
            eagerRelease(session).reset();
            outputs = graph.sd().calculateGradientsAndOutputs(feed, requested, null).getOutputs();
        }
        double lossValue;
        try {
            INDArray[] grads = new INDArray[gradients.length];
            for (int i = 0; i < grads.length; i++) grads[i] = made(gradients[i]);
            lossValue = made(SegmentationLoss.LOSS).getDouble(0);
            update(grads, lr);
            updateRunningStats(this::made);
        } finally {
            // Off-heap memory is otherwise freed only when the GC collects these arrays, which a small Java heap
            // rarely triggers: a run's resident memory would grow by the activations and gradients of every step.
            release(outputs.values());
            release(feed.values());
            session.closeAll();
            planned = Map.of();
        }
        return new StepResult(lossValue, lr);
    }

    /** The optimizer update with this step's gradients (one per parameter, in {@link #params} order). */
    private void update(INDArray[] grads, double lr) {
        step++;
        // Both optimizers are element-wise, so updating parameter by parameter on views of the flat vectors
        // equals one flat update, without a parameter-sized gradient vector and a copy into it every step.
        INDArray[] slotViews = new INDArray[slots.length];
        for (int k = 0; k < grads.length; k++) {
            ParamLayout.Entry e = params.entries().get(k);
            for (int i = 0; i < slots.length; i++) slotViews[i] = flatView(slots[i], e);
            INDArray gr = grads[k].reshape(e.length());
            optimizer.update(flatView(flatParams, e), gr, slotViews, scratch == null ? null : flatView(scratch, e),
                    lr, step);
        }
    }

    /**
     * A step as {@link #replicas} passes side by side ({@link CpuReplicas}), replica r on samples
     * [r·b, (r+1)·b) with b = batch / replicas and dropout masks drawn from a seed of its own; the replicas meet at
     * the graph's {@link dev.medseg.model.nn.ReplicaSum} nodes. The step's loss and gradients are the sums of the
     * replicas' (each replica's loss is its share of the step's), its batch statistics every replica's.
     */
    private StepResult replicatedStep(float[] images, float[] target, double lr, long rngSeed) {
        if (!usePlan) {
            throw new IllegalStateException("steps of " + replicas + " replicas run as static plans only "
                    + "(-Dmedseg.staticPlan=false needs -Dmedseg.cpuReplicas=1)");
        }
        StaticPlan[] plans = replicaPlans();
        int per = batch / replicas;
        ReplicaGroup group = new ReplicaGroup(replicas);
        List<java.util.concurrent.Callable<Map<String, INDArray>>> tasks = new ArrayList<>();
        for (int r = 0; r < replicas; r++) {
            int i = r;
            tasks.add(() -> {
                Map<String, INDArray> feed = Map.of();
                try {
                    feed = feed(images, target, i * per, per);
                    Nd4j.getRandom().setSeed(replicaSeed(rngSeed, i));
                    return plans[i].run(feed, replicaMemory[i], Operation.TRAINING, l -> !(l instanceof EagerRelease),
                            group.member(i));
                } catch (Throwable t) {
                    group.abort(t); // the others stop at their next replica sum instead of waiting for this one
                    throw t;
                } finally {
                    release(feed.values());
                }
            });
        }
        lastStepPlanned = true;
        currentSession = replicaMemory[0];
        List<Map<String, INDArray>> outputs = null;
        try {
            try {
                outputs = CpuReplicas.run(tasks);
            } catch (RuntimeException | Error e) {
                Throwable first = group.failure(); // the replica that failed, not one the abort released
                if (first instanceof RuntimeException re && first != e) throw re;
                if (first instanceof Error err && first != e) throw err;
                throw e;
            }
            List<Map<String, INDArray>> out = outputs;
            INDArray[] grads = new INDArray[gradients.length];
            for (int k = 0; k < grads.length; k++) {
                grads[k] = madeBy(out.get(0), gradients[k]);
                for (int r = 1; r < replicas; r++) grads[k].addi(madeBy(out.get(r), gradients[k]));
            }
            double lossValue = 0;
            for (Map<String, INDArray> o : out) lossValue += madeBy(o, SegmentationLoss.LOSS).getDouble(0);
            update(grads, lr);
            updateRunningStats(name -> madeBy(out.get(0), name)); // every replica has the whole batch's statistics
            return new StepResult(lossValue, lr);
        } finally {
            if (outputs != null) for (Map<String, INDArray> o : outputs) release(o.values());
            for (ClosingMemoryMgr m : replicaMemory) m.closeAll();
        }
    }

    /**
     * The step's placeholders for samples [first, first + count) of a batch's images (B·C·H·W) and targets
     * (B·K·H·W), both C order.
     */
    private Map<String, INDArray> feed(float[] images, float[] target, int first, int count) {
        int s = model.imageSize(), c = model.inChannels(), k = model.numClasses();
        Map<String, INDArray> feed = new HashMap<>();
        feed.put(TransUNet.INPUT, Nd4j.create(samples(images, first, count, c * s * s), new long[]{count, c, s, s}, 'c'));
        feed.put(SegmentationLoss.TARGET, Nd4j.create(samples(target, first, count, k * s * s),
                new long[]{count, k, s, s}, 'c'));
        return feed;
    }

    /** The values of samples [first, first + count) of a batch with {@code per} values a sample (no copy for all). */
    private float[] samples(float[] values, int first, int count, int per) {
        return first == 0 && count == batch ? values : java.util.Arrays.copyOfRange(values, first * per, (first + count) * per);
    }

    /** Replica r's dropout seed: the step's seed for replica 0 (a one-replica step draws as before), mixed for the rest. */
    static long replicaSeed(long stepSeed, int r) {
        return r == 0 ? stepSeed : stepSeed ^ (0x9E3779B97F4A7C15L * r);
    }

    /** The plan and memory manager of each replica, made on the first replicated step. */
    private StaticPlan[] replicaPlans() {
        if (replicaPlans == null) {
            SameDiff gradFn = graph.sd().getFunction("grad");
            String[] outputs = kept.stream().sorted().toArray(String[]::new);
            StaticPlan[] made = new StaticPlan[replicas];
            for (int r = 0; r < replicas; r++) {
                made[r] = StaticPlan.compile(gradFn, outputs);
                if (made[r] == null) {
                    throw new IllegalStateException("steps of " + replicas + " replicas need a static plan, and this "
                            + "graph has none: " + StaticPlan.lastRefusal() + " (-Dmedseg.cpuReplicas=1)");
                }
            }
            replicaMemory = new ClosingMemoryMgr[replicas];
            for (int r = 0; r < replicas; r++) replicaMemory[r] = new ClosingMemoryMgr();
            replicaPlans = made;
        }
        return replicaPlans;
    }

    private static INDArray madeBy(Map<String, INDArray> outputs, String name) {
        INDArray a = outputs.get(name);
        if (a == null) throw new IllegalStateException("the step made no value for " + name);
        return a;
    }

    /**
     * The step's {@link StaticPlan}, or null for SameDiff's session: when the graph needs it, when live arrays are
     * being profiled (that is {@link EagerRelease}'s work) or with {@code -Dmedseg.staticPlan=false}.
     */
    private StaticPlan stepPlan() {
        if (liveProfile != null || !usePlan) return null;
        if (plan == null) {
            SameDiff gradFn = graph.sd().getFunction("grad");
            StaticPlan made = StaticPlan.compile(gradFn, kept.stream().sorted().toArray(String[]::new));
            if (made == null) log.info("training steps run in SameDiff's session: {}", StaticPlan.lastRefusal());
            plan = java.util.Optional.ofNullable(made);
        }
        return plan.orElse(null);
    }

    /** The array the step just made for a {@link #kept} variable. */
    private INDArray made(String name) {
        INDArray planned = this.planned.get(name);
        if (planned != null) return planned;
        INDArray a = eager.pinned(name);
        if (a == null) throw new IllegalStateException("the step made no value for " + name);
        return a;
    }

    /** Frees the off-heap memory of arrays nothing refers to any more. */
    static void release(java.util.Collection<INDArray> arrays) {
        for (INDArray a : arrays) {
            if (a != null && a.closeable()) a.close();
        }
    }

    /**
     * The listener that frees intermediates during the step and pins what the step reads (made once: it needs the
     * gradient function and the names of what the step reads).
     */
    private EagerRelease eagerRelease(ClosingMemoryMgr session) {
        if (eager == null) {
            SameDiff sd = graph.sd();
            SameDiff gradFn = sd.getFunction("grad");
            Set<String> keep = new HashSet<>(kept);
            keep.addAll(requested);
            eager = new EagerRelease(gradFn, keep, b -> currentSession.ownerOf(b), a -> currentSession.release(a));
            eager.profile(liveProfile);
            sd.addListeners(eager); // calculateGradients runs the gradient function with the main graph's listeners
        }
        currentSession = session;
        return eager;
    }

    /**
     * Makes this thread's session of the gradient function free each intermediate array as soon as the graph no
     * longer needs it. SameDiff's default ArrayCacheMemoryMgr keeps released arrays for reuse, up to a quarter of
     * JavaCPP's maxBytes (3 GB at maxBytes=12G) on top of the live activations; its NoOpMemoryMgr leaves them to the
     * garbage collector, which a small heap rarely runs, so off-heap garbage grew until JavaCPP's maxPhysicalBytes
     * forced a collection and a step's peak RSS was that limit (14 GB). The gradient function is created here, as
     * calculateGradientsAndOutputs would.
     */
    private ClosingMemoryMgr freeReleasedArrays() {
        SameDiff sd = graph.sd();
        if (sd.getFunction("grad") == null) sd.createGradFunction();
        return Inference.sessionMemory(sd.getFunction("grad"), ClosingMemoryMgr.class, ClosingMemoryMgr::new);
    }

    /**
     * A session memory manager that deallocates an array when the session releases it (what ArrayCacheMemoryMgr
     * does with arrays that do not fit its cache) and, at the end of a step, every other array it handed out.
     * SameDiff 1.0.0-M2.1's gradient session releases almost nothing during a step (35 of ~7,800 arrays for
     * R50-ViT-B/16): the rest stayed reachable until the session was reused and was then left to the garbage
     * collector, so one step's ~7.7 GB of dead intermediates sat beside the next step's.
     */
    private static final class ClosingMemoryMgr extends Inference.FreeOnRelease {
        private final List<INDArray> handedOut = new ArrayList<>();
        /** Root buffer of each array handed out this step: what {@link EagerRelease} may close. */
        private final Map<DataBuffer, INDArray> owners = new IdentityHashMap<>();

        @Override
        public INDArray allocate(boolean detached, DataType dataType, long... shape) {
            return track(super.allocate(detached, dataType, shape));
        }

        @Override
        public INDArray allocate(boolean detached, LongShapeDescriptor descriptor) {
            return track(super.allocate(detached, descriptor));
        }

        private INDArray track(INDArray a) {
            handedOut.add(a);
            if (!a.isEmpty()) owners.put(EagerRelease.root(a), a);
            return a;
        }

        /** The array this manager handed out whose memory is {@code root}, or null. */
        INDArray ownerOf(DataBuffer root) {
            return owners.get(root);
        }

        /** Unzeroed outputs of the last step. */
        long unzeroedOutputs;

        /** Frees every array handed out since the last call; only after the step's results are no longer used. */
        void closeAll() {
            for (INDArray a : handedOut) release(a);
            handedOut.clear();
            owners.clear();
            unzeroedOutputs = unzeroedHandedOut();
        }

        @Override
        public void close() {
            closeAll();
        }
    }

    /** running = (1 − m)·running + m·batch, as PyTorch's BatchNorm2d in train mode (unbiased variance). */
    private void updateRunningStats(Function<String, INDArray> made) {
        SameDiff sd = graph.sd();
        for (Graph.BatchStats b : graph.batchStats()) {
            sd.getArrForVarName(b.runningMean()).muli(1 - BN_MOMENTUM).addi(made.apply(b.batchMean()).mul(BN_MOMENTUM));
            sd.getArrForVarName(b.runningVar()).muli(1 - BN_MOMENTUM).addi(made.apply(b.batchVar()).mul(BN_MOMENTUM));
        }
    }

    private float[] readBuffers() {
        float[] out = new float[buffers.length()];
        for (ParamLayout.Entry e : buffers.entries()) {
            float[] v = graph.sd().getArrForVarName(e.name()).toFloatVector();
            System.arraycopy(v, 0, out, (int) e.offset(), v.length);
        }
        return out;
    }

    /** The trainable parameters by name (copies), e.g. to export a state dict. */
    public Map<String, INDArray> parameters() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (ParamLayout.Entry e : params.entries()) m.put(e.name(), view(flatParams, e).dup());
        return m;
    }

    /** The 1-D slice of a flat vector holding one parameter. */
    private static INDArray flatView(INDArray flat, ParamLayout.Entry e) {
        return flat.get(NDArrayIndex.interval(e.offset(), e.offset() + e.length()));
    }

    private static INDArray view(INDArray flat, ParamLayout.Entry e) {
        return flat.get(NDArrayIndex.interval(e.offset(), e.offset() + e.length())).reshape('c', e.shape());
    }
}
