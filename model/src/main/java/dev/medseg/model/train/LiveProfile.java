package dev.medseg.model.train;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What a training step keeps alive at its memory peak: the arrays the step's session allocated that were live after
 * the op where their total was largest, grouped by the op type that made each and the op types that still had to
 * read it. A diagnostic (it sums the live arrays after every op, which slows a step several times): the groups say
 * which gradients keep forward arrays alive that PyTorch frees, e.g. {@code matmul -> [add, add_bp]}.
 */
public final class LiveProfile {
    /** Arrays made by one op type and still read by the same set of op types. */
    public record Group(String producer, List<String> readers, long bytes, int arrays) {
        @Override
        public String toString() {
            return String.format("%.1f MiB in %d arrays: %s -> %s", bytes / 1048576.0, arrays, producer, readers);
        }
    }

    /** What a group's arrays share. */
    private record Kind(String producer, List<String> readers) {}

    private long peakBytes;
    private String peakOp = "";
    private List<Group> peakGroups = List.of();

    /** Session-allocated bytes alive at the peak seen so far (views counted once, by their root buffer). */
    public long peakBytes() { return peakBytes; }

    /** The op after which the peak was seen. */
    public String peakOp() { return peakOp; }

    /** The live arrays at the peak, largest groups first. */
    public List<Group> groups() { return peakGroups; }

    /** Looks at the live arrays after {@code op} ran; {@code ownerOf} is null for arrays the session did not make. */
    void observe(SameDiff sd, SameDiffOp op, Map<String, INDArray> live, Function<DataBuffer, INDArray> ownerOf) {
        Set<DataBuffer> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long total = 0;
        for (INDArray a : live.values()) total += bytesIfNew(a, seen, ownerOf);
        if (total <= peakBytes) return;
        peakBytes = total;
        peakOp = op.getName();
        seen.clear();
        Map<Kind, long[]> by = new HashMap<>();
        for (var e : live.entrySet()) {
            long b = bytesIfNew(e.getValue(), seen, ownerOf);
            if (b == 0) continue;
            Variable v = sd.getVariables().get(e.getKey());
            String producer = v == null || v.getOutputOfOp() == null ? "?" : opType(sd, v.getOutputOfOp());
            Set<String> readers = new TreeSet<>();
            if (v != null && v.getInputsForOp() != null) for (String r : v.getInputsForOp()) readers.add(opType(sd, r));
            long[] c = by.computeIfAbsent(new Kind(producer, List.copyOf(readers)), k -> new long[2]);
            c[0] += b;
            c[1]++;
        }
        List<Group> groups = new ArrayList<>();
        by.forEach((k, c) -> groups.add(new Group(k.producer(), k.readers(), c[0], (int) c[1])));
        groups.sort(Comparator.comparingLong(Group::bytes).reversed());
        peakGroups = List.copyOf(groups);
    }

    private static long bytesIfNew(INDArray a, Set<DataBuffer> seen, Function<DataBuffer, INDArray> ownerOf) {
        DataBuffer root = EagerRelease.root(a);
        if (ownerOf.apply(root) == null || !seen.add(root)) return 0;
        return root.length() * root.getElementSize();
    }

    private static String opType(SameDiff sd, String opName) {
        SameDiffOp op = sd.getOps().get(opName);
        return op == null ? opName : op.getOp().opName();
    }
}
