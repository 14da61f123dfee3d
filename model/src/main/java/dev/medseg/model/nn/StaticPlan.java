package dev.medseg.model.nn;

import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.ReduceOp;
import org.nd4j.linalg.api.ops.ScalarOp;
import org.nd4j.linalg.api.ops.impl.transforms.same.Identity;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A SameDiff graph's pass as a fixed list of op executions: the ops the requested outputs need, in the order the
 * graph was built, each with its input and output slots, its output shapes (worked out on the first pass for a given
 * feed shape and reused) and the slots whose last reader it is (freed right after it). Eval passes
 * ({@link Inference#output}) and training steps (the gradient function, {@code SegmentationTrainer}) run this way.
 *
 * <p>Why: SameDiff's session decides at every op which ops became ready (hash sets of variable ids per frame and
 * iteration), asks libnd4j for the output shapes (a native call with JavaCPP pointers, each of which reads
 * /proc/self/statm under a physical-memory limit) and builds result maps: 75-110 µs of work per op beside the kernel,
 * 0.17 s of a TransUNet forward pass (2,000 ops) and 0.73 s of a training step (7,600 ops) on 2 cores, where
 * PyTorch's dispatcher costs a few µs per op. A graph without control flow or value-dependent shapes needs none of
 * that after the first pass. Control dependencies (ops that must run before others) are kept: build order already
 * satisfies them, which {@link #compile} checks.
 *
 * <p>Ops run exactly as the session runs them (the same OpContext arguments, output data types and execution call),
 * so results are bit-for-bit the session's ({@code InferenceTest}, {@code SegmentationTrainerTest}); only random ops
 * (dropout masks) may draw in another order than the session's, which is as reproducible. {@link #compile} returns
 * null for a graph it does not cover (control flow, tensor arrays, ops with value-dependent output shapes, ops
 * taking their axis or scalar as an input array), with the reason in {@link #lastRefusal}; the caller then uses
 * SameDiff's session. {@code -Dmedseg.staticPlan=false} turns plans off (A/B measurements).
 */
public final class StaticPlan {
    /**
     * How a step runs. VIEW: a reshape whose output is a view of its input when the input is contiguous in c order
     * (always, for arrays ops make), else the op's copy; PASS_THROUGH: an identity, the input itself;
     * REPLICA_SUM: a {@link ReplicaSum}, the sum of the input over the replicas of the pass ({@link ReplicaGroup}).
     */
    private enum Kind { CUSTOM, LEGACY, PASS_THROUGH, VIEW, REPLICA_SUM }

    /** {@code fixedShapes}: the output shapes depend only on the fed shapes, so the first pass's are reused. */
    private record Step(SameDiffOp op, Kind kind, int[] inputs, int[] outputs, DataType[] outputTypes,
                        int[] freeAfter, OpContext context, boolean fixedShapes) {}

    private final SameDiff sd;
    private final String[] slotNames;
    /** Per slot: the variable or constant whose current array it reads at each pass, or null. */
    private final String[] graphArrays;
    /** Per slot: the placeholder it is fed from, or null. */
    private final String[] placeholders;
    private final List<Step> steps;
    private final int[] requested;
    /** Per slot: whether the slot's array is made by this plan (not a graph array, placeholder or pass-through). */
    private final boolean[] made;
    /**
     * Per root slot: the outputs of VIEW steps sharing its memory. Each is a view, or, where its input was not
     * contiguous, a copy of its own, freed with the root (after the last reader of any of them).
     */
    private final int[][] views;
    /** Output shapes per step, worked out on the first pass with a given feed signature (at most 16 signatures). */
    private final Map<String, LongShapeDescriptor[][]> shapesByFeed = new HashMap<>();
    private final int graphSize;
    private int freedLastRun;
    private int viewsLastRun;

    private StaticPlan(SameDiff sd, String[] slotNames, String[] graphArrays, String[] placeholders, List<Step> steps,
                       int[] requested, boolean[] made, int[][] views) {
        this.sd = sd;
        this.views = views;
        this.slotNames = slotNames;
        this.graphArrays = graphArrays;
        this.placeholders = placeholders;
        this.steps = steps;
        this.requested = requested;
        this.made = made;
        this.graphSize = graphSize(sd);
    }

    /** Whether the graph still has the ops and variables it had when this plan was made. */
    public boolean current() {
        return graphSize(sd) == graphSize;
    }

    private static int graphSize(SameDiff sd) {
        return sd.getOps().size() * 31 + sd.getVariables().size();
    }

    /** A plan computing {@code outputs} of {@code sd}, or null if the graph needs SameDiff's session. */
    public static StaticPlan compile(SameDiff sd, String... outputs) {
        REFUSAL.remove();
        Map<String, SameDiffOp> ops = sd.getOps();
        Map<String, Variable> vars = sd.getVariables();
        // The ops the outputs need, found backwards from them.
        java.util.Set<String> needed = new java.util.HashSet<>();
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>();
        for (String o : outputs) {
            Variable v = vars.get(o);
            if (v == null || v.getOutputOfOp() == null) return refuse(o + " is not an op's output");
            todo.add(v.getOutputOfOp());
        }
        while (!todo.isEmpty()) {
            String name = todo.poll();
            if (!needed.add(name)) continue;
            SameDiffOp op = ops.get(name);
            if (op == null) return refuse("no op " + name);
            String why = unsupported(op);
            if (why != null) return refuse(why);
            if (op.getControlDeps() != null) todo.addAll(op.getControlDeps()); // ops that must run before this one
            for (String in : inputs(op)) {
                Variable v = vars.get(in);
                if (v == null) return refuse("no variable " + in);
                if (v.getOutputOfOp() != null) todo.add(v.getOutputOfOp());
                if (v.getControlDeps() != null) todo.addAll(v.getControlDeps()); // ops that must run before v is read
            }
        }
        // Build order is a valid execution order for a graph built in code (an op's inputs exist before it).
        Map<String, Integer> slot = new LinkedHashMap<>();
        List<String> graphArrays = new ArrayList<>(), placeholders = new ArrayList<>();
        List<int[]> ins = new ArrayList<>(), outs = new ArrayList<>();
        List<SameDiffOp> order = new ArrayList<>();
        java.util.Set<String> produced = new java.util.HashSet<>(), executed = new java.util.HashSet<>();
        List<Boolean> shapeOnly = new ArrayList<>(); // per slot: a value computed from shapes and constants only
        for (SameDiffOp op : ops.values()) {
            if (!needed.contains(op.getName())) continue;
            // Control dependencies (ops that must run first) hold in build order too; checked here.
            if (op.getControlDeps() != null && !executed.containsAll(op.getControlDeps())) {
                return refuse(op.getName() + " waits for ops " + op.getControlDeps() + ", not all before it in build order");
            }
            List<String> in = inputs(op);
            for (String name : in) {
                List<String> before = vars.get(name).getControlDeps();
                if (before != null && !executed.containsAll(before)) {
                    return refuse(name + " waits for ops " + before + ", not all before " + op.getName() + " in build order");
                }
            }
            int[] inSlots = new int[in.size()];
            for (int i = 0; i < inSlots.length; i++) {
                String name = in.get(i);
                SDVariable v = sd.getVariable(name);
                VariableType t = v.getVariableType();
                if (t == VariableType.ARRAY && !produced.contains(name)) {
                    return refuse(op.getName() + " reads " + name + " before the op making it, in build order");
                }
                inSlots[i] = slot.computeIfAbsent(name, k -> {
                    graphArrays.add(t == VariableType.VARIABLE || t == VariableType.CONSTANT ? k : null);
                    placeholders.add(t == VariableType.PLACEHOLDER ? k : null);
                    shapeOnly.add(t == VariableType.CONSTANT);
                    return graphArrays.size() - 1;
                });
            }
            boolean fromShapes = SHAPE_READERS.contains(op.getOp().opName()) || !in.isEmpty() && !(op.getOp() instanceof
                    org.nd4j.linalg.api.ops.random.BaseRandomOp);
            if (!SHAPE_READERS.contains(op.getOp().opName())) {
                for (int s : inSlots) fromShapes &= shapeOnly.get(s);
            }
            List<String> out = op.getOutputsOfOp();
            int[] outSlots = new int[out.size()];
            for (int i = 0; i < outSlots.length; i++) {
                String name = out.get(i);
                if (slot.containsKey(name)) return refuse(name + " is made twice");
                graphArrays.add(null);
                placeholders.add(null);
                shapeOnly.add(fromShapes);
                slot.put(name, graphArrays.size() - 1);
                outSlots[i] = graphArrays.size() - 1;
                produced.add(name);
            }
            order.add(op);
            executed.add(op.getName());
            ins.add(inSlots);
            outs.add(outSlots);
        }
        int n = graphArrays.size();
        int[] requested = new int[outputs.length];
        for (int i = 0; i < outputs.length; i++) requested[i] = slot.get(outputs[i]);
        // Pass-throughs and views share their input's array: a slot's memory belongs to the slot it came from (its
        // root), which is freed after the last reader of it or of any pass-through or view of it.
        Kind[] kinds = new Kind[order.size()];
        for (int k = 0; k < kinds.length; k++) kinds[k] = kind(order.get(k));
        int[] root = roots(n, kinds, ins, outs);
        // A view only of memory this plan makes and frees, and never one the caller gets: graph arrays, fed
        // arrays and requested outputs are reshaped by a copy, as the session does.
        boolean[] requestedRoot = new boolean[n];
        for (int s : requested) requestedRoot[root[s]] = true;
        for (int k = 0; k < kinds.length; k++) {
            int r = root[outs.get(k)[0]];
            if (kinds[k] == Kind.VIEW && (requestedRoot[r] || graphArrays.get(r) != null || placeholders.get(r) != null)) {
                kinds[k] = Kind.CUSTOM;
            }
        }
        root = roots(n, kinds, ins, outs);
        int[] lastRead = new int[n];
        Arrays.fill(lastRead, -1);
        for (int k = 0; k < order.size(); k++) {
            for (int s : outs.get(k)) lastRead[root[s]] = Math.max(lastRead[root[s]], k); // unread outputs: freed at once
            for (int s : ins.get(k)) lastRead[root[s]] = Math.max(lastRead[root[s]], k);
        }
        boolean[] keep = new boolean[n];
        for (int s = 0; s < n; s++) keep[s] = graphArrays.get(s) != null || placeholders.get(s) != null;
        for (int s : requested) keep[root[s]] = true;
        List<List<Integer>> frees = new ArrayList<>();
        for (int k = 0; k < order.size(); k++) frees.add(new ArrayList<>());
        for (int s = 0; s < n; s++) {
            if (root[s] == s && !keep[s] && lastRead[s] >= 0) frees.get(lastRead[s]).add(s);
        }
        boolean[] made = new boolean[n];
        for (int s = 0; s < n; s++) made[s] = root[s] == s && graphArrays.get(s) == null && placeholders.get(s) == null;
        List<List<Integer>> viewsOf = new ArrayList<>();
        for (int s = 0; s < n; s++) viewsOf.add(new ArrayList<>());
        for (int k = 0; k < kinds.length; k++) {
            if (kinds[k] == Kind.VIEW) viewsOf.get(root[outs.get(k)[0]]).add(outs.get(k)[0]);
        }
        int[][] views = new int[n][];
        for (int s = 0; s < n; s++) views[s] = viewsOf.get(s).stream().mapToInt(Integer::intValue).toArray();
        List<Step> steps = new ArrayList<>();
        for (int k = 0; k < order.size(); k++) {
            SameDiffOp op = order.get(k);
            Kind kind = kinds[k];
            List<String> out = op.getOutputsOfOp();
            DataType[] types = new DataType[out.size()];
            for (int i = 0; i < types.length; i++) types[i] = sd.getVariable(out.get(i)).dataType();
            boolean fixed = true;
            if (SHAPE_ARGUMENTS.contains(op.getOp().opName())) {
                List<String> in = inputs(op);
                int[] inSlots = ins.get(k);
                for (int i = 1; i < inSlots.length; i++) {
                    if (!shapeOnly.get(inSlots[i]) && graphArrays.get(inSlots[i]) == null) fixed = false;
                }
            }
            steps.add(new Step(op, kind, ins.get(k), outs.get(k), types,
                    frees.get(k).stream().mapToInt(Integer::intValue).toArray(),
                    kind == Kind.PASS_THROUGH || kind == Kind.REPLICA_SUM ? null : Nd4j.getExecutioner().buildContext(),
                    fixed));
        }
        return new StaticPlan(sd, slot.keySet().toArray(String[]::new), graphArrays.toArray(String[]::new),
                placeholders.toArray(String[]::new), steps, requested, made, views);
    }

    /** Per slot, the slot whose memory it uses: its own, or for pass-throughs and views, their input's root. */
    private static int[] roots(int n, Kind[] kinds, List<int[]> ins, List<int[]> outs) {
        int[] root = new int[n];
        for (int s = 0; s < n; s++) root[s] = s;
        for (int k = 0; k < kinds.length; k++) {
            if (kinds[k] == Kind.PASS_THROUGH || kinds[k] == Kind.VIEW) root[outs.get(k)[0]] = root[ins.get(k)[0]];
        }
        return root;
    }

    /** Ops whose output is computed from their input's shape, not its values. */
    private static final java.util.Set<String> SHAPE_READERS = java.util.Set.of("shape_of", "shapes_of", "size", "rank",
            "size_at");

    private static List<String> inputs(SameDiffOp op) {
        String[] names = op.getOp().argNames();
        return names == null ? List.of() : Arrays.asList(names);
    }

    /** Ops whose output shapes depend on the values of their inputs: graphs with these stay with the session. */
    private static final java.util.Set<String> VALUE_SHAPED = java.util.Set.of("Where", "where_np", "unique",
            "unique_with_counts", "dynamic_partition", "dynamic_stitch", "listdiff", "boolean_mask", "bincount",
            "confusion_matrix", "non_max_suppression", "non_max_suppression_v3", "non_max_suppression_overlaps");

    /**
     * Ops that read a shape, size or count from an input after the first: when that input is computed (not a
     * constant or variable), their output shapes are asked for at every pass instead of reused.
     */
    private static final java.util.Set<String> SHAPE_ARGUMENTS = java.util.Set.of("reshape", "pad", "mirror_pad",
            "tile", "fill", "slice", "strided_slice", "range", "broadcast_to", "resize_bilinear", "resize_nearest_neighbor",
            "resize_bicubic", "resize_area", "image_resize", "onehot", "create", "randomuniform", "random_uniform",
            "random_normal", "random_bernoulli", "random_exponential", "split_v", "sequence_mask", "scatter_nd", "top_k",
            "expand_dims", "squeeze", "permute", "transpose", "reduce_sum", "reduce_mean", "reduce_max", "reduce_min",
            "reduce_prod", "reduce_sqnorm", "reduce_norm1", "reduce_norm2", "reduce_norm_max", "reduce_variance",
            "reduce_stdev", "argmax", "argmin", "concat", "split", "unstack", "stack", "repeat", "space_to_batch_nd",
            "batch_to_space_nd", "moments", "matrix_diag", "eye");

    /** Why the last {@link #compile} on this thread returned null (diagnostics). */
    private static final ThreadLocal<String> REFUSAL = new ThreadLocal<>();

    public static String lastRefusal() {
        return REFUSAL.get();
    }

    private static StaticPlan refuse(String why) {
        REFUSAL.set(why);
        return null;
    }

    /**
     * Null if the op runs here as the session runs it, else why not: anything the session executes in a special
     * way is left to it.
     */
    private static String unsupported(SameDiffOp op) {
        DifferentialFunction f = op.getOp();
        if (f instanceof Identity) return null;
        String what = op.getName() + " (" + f.getClass().getSimpleName() + ")";
        String pkg = f.getClass().getPackageName();
        if (pkg.contains(".controlflow") || pkg.contains(".tensorarray")) return what + " is control flow";
        if (f instanceof org.nd4j.linalg.api.ops.impl.transforms.custom.Assign
                || f instanceof org.nd4j.linalg.api.ops.impl.shape.CreateView
                || f instanceof org.nd4j.linalg.api.ops.impl.layers.ExternalErrorsFunction
                || f instanceof org.nd4j.linalg.api.ops.impl.transforms.Assert
                || VALUE_SHAPED.contains(f.opName())) {
            return what + " executes specially or has value-dependent shapes";
        }
        if (f instanceof DynamicCustomOp) return null;
        if (f instanceof Op) {
            int args = inputs(op).size();
            // The session reads a second input of these as the axis or the scalar: not handled here.
            if ((f instanceof ReduceOp || f instanceof ScalarOp) && args == 2) return what + " takes its axis or scalar as an input";
            // Random ops (dropout masks) take no input: their shape is the op's own.
            int least = f instanceof org.nd4j.linalg.api.ops.random.BaseRandomOp ? 0 : 1;
            boolean plain = f instanceof org.nd4j.linalg.api.ops.BaseOp && args >= least && args <= 2
                    && op.getOutputsOfOp().size() == 1;
            return plain ? null : what + " has " + args + " inputs";
        }
        return what + " is neither a custom nor a legacy op";
    }

    private static Kind kind(SameDiffOp op) {
        DifferentialFunction f = op.getOp();
        if (f instanceof Identity) {
            return ReplicaSum.marks(op.getOutputsOfOp().get(0)) ? Kind.REPLICA_SUM : Kind.PASS_THROUGH;
        }
        // libnd4j's reshape copies its input into the output array (x.reshape(z's order, z's shape)); a c-order
        // reshape of a contiguous c-order array is that array's memory read with other strides: a view. ~1,700
        // of a TransUNet training step's ~7,300 ops are reshapes.
        if (f instanceof org.nd4j.linalg.api.ops.impl.shape.Reshape && op.getOutputsOfOp().size() == 1) return Kind.VIEW;
        return f instanceof CustomOp ? Kind.CUSTOM : Kind.LEGACY;
    }

    /**
     * Runs the plan: {@code feed} holds every placeholder the outputs need; outputs and intermediates are allocated
     * by {@code memory}, intermediates released to it after their last reader (also when an op fails). Returns the
     * requested outputs by name.
     */
    public synchronized Map<String, INDArray> run(Map<String, INDArray> feed, Inference.FreeOnRelease memory) {
        return run(feed, memory, Operation.INFERENCE, l -> true);
    }

    /**
     * As {@link #run(Map, Inference.FreeOnRelease)}, telling the graph's listeners that {@code use} accepts and that
     * are active for {@code operation} about every op (a training step passes TRAINING).
     */
    public synchronized Map<String, INDArray> run(Map<String, INDArray> feed, Inference.FreeOnRelease memory,
                                           Operation operation, java.util.function.Predicate<Listener> use) {
        return run(feed, memory, operation, use, null);
    }

    /**
     * As {@link #run(Map, Inference.FreeOnRelease, Operation, java.util.function.Predicate)} for one replica of a
     * pass whose graph has {@link ReplicaSum} nodes: {@code replica} is its place in the pass's group (null for
     * a graph without them).
     */
    public synchronized Map<String, INDArray> run(Map<String, INDArray> feed, Inference.FreeOnRelease memory,
                                                  Operation operation, java.util.function.Predicate<Listener> use,
                                                  ReplicaGroup.Member replica) {
        INDArray[] values = new INDArray[slotNames.length];
        StringBuilder signature = new StringBuilder();
        for (int s = 0; s < values.length; s++) {
            if (graphArrays[s] != null) {
                values[s] = sd.getArrForVarName(graphArrays[s]);
                if (values[s] == null) throw new IllegalStateException("no array for " + graphArrays[s]);
            } else if (placeholders[s] != null) {
                INDArray x = feed.get(placeholders[s]);
                if (x == null) {
                    throw new IllegalArgumentException("no value fed for placeholder '" + placeholders[s] + "'");
                }
                values[s] = x;
                signature.append(placeholders[s]).append(x.dataType()).append(Arrays.toString(x.shape()))
                        .append(x.ordering()).append(';');
            }
        }
        // Shapes depend only on the fed shapes here: no op's output shape depends on computed values.
        String feedShapes = signature.toString();
        if (shapesByFeed.size() >= 16 && !shapesByFeed.containsKey(feedShapes)) shapesByFeed.clear();
        LongShapeDescriptor[][] shapes = shapesByFeed.computeIfAbsent(feedShapes, k -> new LongShapeDescriptor[steps.size()][]);
        List<Listener> listeners = activeListeners(operation, use);
        At at = listeners.isEmpty() ? null : At.defaultAt(operation);
        boolean[] copied = new boolean[values.length]; // VIEW outputs that are copies this pass
        boolean done = false;
        int freed = 0, viewCount = 0;
        try {
            for (int k = 0; k < steps.size(); k++) {
                Step step = steps.get(k);
                INDArray[] in = new INDArray[step.inputs.length];
                for (int i = 0; i < in.length; i++) in[i] = values[step.inputs[i]];
                if (step.kind == Kind.PASS_THROUGH) {
                    values[step.outputs[0]] = in[0];
                } else if (step.kind == Kind.REPLICA_SUM) {
                    values[step.outputs[0]] = replicaSum(step, in[0], memory, replica);
                } else if (step.kind == Kind.VIEW && (values[step.outputs[0]] = view(step, in, shapes, k, listeners, at)) != null) {
                    viewCount++; // the view shares its input's memory, freed with it
                } else {
                    INDArray[] out = exec(step, in, shapes, k, memory, listeners, at);
                    for (int i = 0; i < out.length; i++) values[step.outputs[i]] = out[i];
                    if (step.kind == Kind.VIEW) copied[step.outputs[0]] = true;
                }
                for (int s : step.freeAfter) {
                    for (int v : views[s]) {
                        if (copied[v]) {
                            memory.release(values[v]);
                            freed++;
                        }
                        values[v] = null;
                    }
                    if (values[s] != null) {
                        memory.release(values[s]);
                        freed++;
                    }
                    values[s] = null;
                }
            }
            Map<String, INDArray> result = new LinkedHashMap<>();
            for (int s : requested) result.put(slotNames[s], values[s]);
            done = true;
            freedLastRun = freed;
            viewsLastRun = viewCount;
            return result;
        } finally {
            if (!done) { // release what this pass made and still holds (never a graph array behind a pass-through)
                for (int s = 0; s < values.length; s++) {
                    if (values[s] != null && (made[s] || copied[s])) memory.release(values[s]);
                }
            }
        }
    }

    /**
     * A VIEW step's output as a view of its input, or null where it must be the op's copy (an input not contiguous
     * in c order, an output that is not a plain c-order array of the input's type, an empty array).
     */
    private INDArray view(Step step, INDArray[] in, LongShapeDescriptor[][] shapes, int k, List<Listener> listeners, At at) {
        INDArray x = in[0];
        if (x.isEmpty() || x.ordering() != 'c' || x.elementWiseStride() != 1) return null;
        DynamicCustomOp op = (DynamicCustomOp) step.op.getOp();
        OpContext oc = step.context;
        boolean newShapes = shapes[k] == null || !step.fixedShapes;
        if (newShapes || !listeners.isEmpty()) oc.setArgs(in, op.iArgs(), op.dArgs(), op.tArgs(), op.bArgs());
        if (newShapes) shapes[k] = outputShapes(op.calculateOutputShape(oc), step);
        LongShapeDescriptor d = shapes[k][0];
        long[] shape = d.getShape();
        if (d.getOrder() != 'c' || d.dataType() != x.dataType() || d.isEmpty()
                || x.length() != org.nd4j.linalg.api.shape.Shape.lengthOf(shape)
                || !Arrays.equals(d.getStride(), Nd4j.getStrides(shape, 'c'))) {
            return null;
        }
        INDArray v = Nd4j.create(x.data(), shape, d.getStride(), x.offset(), 'c');
        if (!listeners.isEmpty()) {
            oc.setOutputArray(0, v);
            for (Listener l : listeners) l.preOpExecution(sd, at, step.op, oc);
            for (Listener l : listeners) l.opExecution(sd, at, null, step.op, oc, new INDArray[]{v});
        }
        return v;
    }

    private static INDArray replicaSum(Step step, INDArray x, Inference.FreeOnRelease memory, ReplicaGroup.Member replica) {
        if (replica == null) {
            throw new IllegalStateException(step.op.getName() + " sums over the replicas of a pass: run the plan with "
                    + "its replica group");
        }
        INDArray out = memory.allocate(false, LongShapeDescriptor.fromShape(x.shape(), x.dataType()));
        replica.group().sum(replica.index(), x, out);
        return out;
    }

    private INDArray[] exec(Step step, INDArray[] in, LongShapeDescriptor[][] shapes, int k,
                            Inference.FreeOnRelease memory, List<Listener> listeners, At at) {
        OpContext oc = step.context;
        DifferentialFunction f = step.op.getOp();
        if (step.kind != Kind.LEGACY) {
            DynamicCustomOp op = (DynamicCustomOp) f;
            oc.setArgs(in, op.iArgs(), op.dArgs(), op.tArgs(), op.bArgs());
            if (shapes[k] == null || !step.fixedShapes) shapes[k] = outputShapes(op.calculateOutputShape(oc), step);
        } else {
            if (in.length > 0) oc.setInputArray(0, in[0]);
            if (in.length == 2) oc.setInputArray(1, in[1]);
            if (shapes[k] == null || !step.fixedShapes) {
                shapes[k] = outputShapes(((org.nd4j.linalg.api.ops.BaseOp) f).calculateOutputShape(oc), step);
            }
        }
        INDArray[] out = new INDArray[step.outputs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = memory.allocate(false, shapes[k][i]);
            oc.setOutputArray(i, out[i]);
        }
        for (Listener l : listeners) l.preOpExecution(sd, at, step.op, oc);
        if (step.kind != Kind.LEGACY) Nd4j.exec((CustomOp) f, oc);
        else Nd4j.exec((Op) f, oc);
        for (Listener l : listeners) l.opExecution(sd, at, null, step.op, oc, out);
        return out;
    }

    /** The shapes libnd4j reports, each in its output variable's data type (as the session allocates them). */
    private static LongShapeDescriptor[] outputShapes(List<LongShapeDescriptor> reported, Step step) {
        if (reported == null || reported.size() != step.outputs.length) {
            throw new IllegalStateException("op " + step.op.getName() + " reported " + (reported == null ? 0 : reported.size())
                    + " output shapes for " + step.outputs.length + " outputs");
        }
        LongShapeDescriptor[] s = new LongShapeDescriptor[reported.size()];
        for (int i = 0; i < s.length; i++) {
            LongShapeDescriptor d = reported.get(i);
            s[i] = d.dataType() == step.outputTypes[i] ? d : d.asDataType(step.outputTypes[i]);
        }
        return s;
    }

    private List<Listener> activeListeners(Operation operation, java.util.function.Predicate<Listener> use) {
        List<Listener> all = sd.getListeners();
        if (all == null || all.isEmpty()) return List.of();
        List<Listener> active = new ArrayList<>();
        for (Listener l : all) if (l.isActive(operation) && use.test(l)) active.add(l);
        return active;
    }

    /** Intermediate arrays the last completed pass freed after their last reader (for tests and diagnostics). */
    public int freedLastRun() {
        return freedLastRun;
    }

    /** Reshapes the last completed pass made as views of their input (for tests and diagnostics). */
    public int viewsLastRun() {
        return viewsLastRun;
    }

    /** Ops per pass (for tests and diagnostics). */
    public int steps() {
        return steps.size();
    }
}
