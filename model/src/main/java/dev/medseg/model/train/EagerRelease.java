package dev.medseg.model.train;

import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Frees each intermediate array of the gradient function as soon as the last op that reads it has run.
 *
 * <p>SameDiff 1.0.0-M2.1's gradient session releases almost none of the ~7,800 arrays a TransUNet step makes until
 * the step ends, so every activation and every intermediate gradient is alive at once (~7.7 GB at 256², batch 2).
 * This listener counts, per variable, the op inputs that still have to read it and closes the array when the count
 * reaches zero. Arrays are counted by their root data buffer, so a view (reshape, permute) keeps its base alive, and
 * only arrays the session's memory manager allocated for op outputs are ever closed ({@code ownerOf}): parameters,
 * constants, placeholders and anything an op passed through unchanged are never touched. The buffers of requested
 * outputs and of what the trainer reads (loss, batch statistics, gradients) are pinned for the whole step, and the
 * trainer takes those arrays from here ({@link #pinned}): it asks SameDiff for one output only ({@link StepSink}).
 */
final class EagerRelease extends BaseListener {
    /** Op inputs reading each op-output variable of the gradient function (one per occurrence). */
    private final Map<String, Integer> readers = new HashMap<>();
    private final Set<String> keep;
    private final Map<String, Integer> remaining = new HashMap<>();
    private final Map<String, INDArray> live = new HashMap<>();
    private final Map<DataBuffer, Integer> bufferUsers = new IdentityHashMap<>();
    private final Function<DataBuffer, INDArray> ownerOf;
    private final Consumer<INDArray> free;
    private LiveProfile profile;

    /**
     * @param gradFn  the gradient function (it holds the forward ops too)
     * @param keep    variables whose arrays outlive the session call: requested outputs and gradients
     * @param ownerOf the array the session allocated with this root buffer, or null if it allocated none
     * @param free    frees an array {@code ownerOf} returned, once nothing reads it any more
     */
    EagerRelease(SameDiff gradFn, Set<String> keep, Function<DataBuffer, INDArray> ownerOf, Consumer<INDArray> free) {
        this.keep = keep;
        this.ownerOf = ownerOf;
        this.free = free;
        for (SameDiffOp op : opsNeededFor(gradFn, keep)) {
            if (op.getInputsToOp() == null) continue;
            for (String in : op.getInputsToOp()) readers.merge(in, 1, Integer::sum);
        }
    }

    /**
     * The ops the session runs to compute {@code outputs}: an op that never runs (the gradient of a frozen weight,
     * say) must not count as a reader, or what it would read stays alive for the whole step.
     */
    static Set<SameDiffOp> opsNeededFor(SameDiff sd, Set<String> outputs) {
        Set<SameDiffOp> ops = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(outputs);
        Set<String> seen = new java.util.HashSet<>(outputs);
        while (!todo.isEmpty()) {
            var v = sd.getVariables().get(todo.pop());
            if (v == null || v.getOutputOfOp() == null) continue;
            SameDiffOp op = sd.getOps().get(v.getOutputOfOp());
            if (op == null || !ops.add(op)) continue;
            if (op.getInputsToOp() != null) for (String in : op.getInputsToOp()) if (seen.add(in)) todo.push(in);
            if (op.getControlDeps() != null) for (String in : op.getControlDeps()) if (seen.add(in)) todo.push(in);
        }
        return ops;
    }

    /** Also reports the live arrays at each step's memory peak to {@code p} (null: stop). */
    void profile(LiveProfile p) {
        profile = p;
    }

    @Override
    public boolean isActive(Operation operation) {
        return true;
    }

    /** Arrays closed during the last step (for tests and diagnostics). */
    private int closed;
    /** This step's arrays of the {@code keep} variables, by name, as the ops made them. */
    private final Map<String, INDArray> pinned = new HashMap<>();

    int closedLastStep() {
        return closed;
    }

    /** The array a {@code keep} variable got this step, or null if no op has made it (yet). */
    INDArray pinned(String name) {
        return pinned.get(name);
    }

    /** Starts a new step's counts (arrays of the previous step were freed by then). */
    void reset() {
        closed = 0;
        pinned.clear();
        remaining.clear();
        remaining.putAll(readers);
        live.clear();
        bufferUsers.clear();
    }

    @Override
    public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext opContext,
                            INDArray[] outputs) {
        var outNames = op.getOutputsOfOp();
        for (int i = 0; i < outputs.length && outNames != null && i < outNames.size(); i++) {
            String name = outNames.get(i);
            INDArray a = outputs[i];
            if (a == null) continue;
            if (keep.contains(name)) {
                pinned.put(name, a);
                bufferUsers.merge(root(a), 1, Integer::sum); // pinned: never decremented this step
                continue;
            }
            live.put(name, a);
            bufferUsers.merge(root(a), 1, Integer::sum);
            if (!remaining.containsKey(name)) done(name); // read by nothing
        }
        if (op.getInputsToOp() != null) {
            for (String in : op.getInputsToOp()) {
                Integer left = remaining.computeIfPresent(in, (k, v) -> v - 1);
                if (left != null && left == 0) done(in);
            }
        }
        if (profile != null) profile.observe(sd, op, live, ownerOf);
    }

    private void done(String name) {
        INDArray a = live.remove(name);
        if (a == null) return; // a parameter, constant, placeholder or kept output
        DataBuffer b = root(a);
        int users = bufferUsers.merge(b, -1, Integer::sum);
        if (users <= 0) {
            bufferUsers.remove(b);
            INDArray owner = ownerOf.apply(b);
            if (owner != null && !owner.wasClosed() && owner.closeable()) {
                free.accept(owner);
                closed++;
            }
        }
    }

    /** The buffer that owns {@code a}'s memory (itself unless {@code a} is a view). */
    static DataBuffer root(INDArray a) {
        DataBuffer d = a.data();
        return d.originalDataBuffer() != null ? d.originalDataBuffer() : d;
    }
}
