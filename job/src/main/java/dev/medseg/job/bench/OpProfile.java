package dev.medseg.job.bench;

import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A SameDiff listener that sums the wall time of each executed op by op type (conv2d, matmul, add, ...), to tell
 * the native kernels' time from the framework's time around them. Attach it to the graph and to its gradient
 * function; {@link #reset} after the warm-up. Single-threaded, as SameDiff's executor is.
 */
public final class OpProfile extends BaseListener {
    private final Map<String, long[]> byType = new HashMap<>(); // type → {nanos, count}
    private long started;

    @Override
    public boolean isActive(Operation operation) { return true; }

    @Override
    public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext opContext) {
        started = System.nanoTime();
    }

    @Override
    public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext opContext, INDArray[] outputs) {
        long t = System.nanoTime() - started;
        long[] s = byType.computeIfAbsent(op.getOp().opName(), k -> new long[2]);
        s[0] += t;
        s[1]++;
    }

    /** Forgets what was recorded (call after the warm-up steps). */
    public void reset() { byType.clear(); }

    /** Seconds spent inside ops, all types. */
    public double totalSeconds() {
        return byType.values().stream().mapToLong(v -> v[0]).sum() / 1e9;
    }

    /**
     * Figures per step: the {@code top} op types by time (seconds per step, with call counts), the rest as
     * {@code other}, and {@code outside_ops} = step time − op time (graph bookkeeping, feeding, copies, update).
     */
    public List<BenchLine> figures(String prefix, int steps, double stepSeconds, int top, Map<String, Object> config,
                                   Consumer<BenchLine> out) {
        List<Map.Entry<String, long[]>> sorted = new ArrayList<>(byType.entrySet());
        sorted.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        List<BenchLine> lines = new ArrayList<>();
        double other = 0;
        for (int i = 0; i < sorted.size(); i++) {
            var e = sorted.get(i);
            double sec = e.getValue()[0] / 1e9 / steps;
            if (i >= top) {
                other += sec;
                continue;
            }
            Map<String, Object> c = new LinkedHashMap<>(config);
            c.put("calls_per_step", e.getValue()[1] / steps);
            c.put("share_of_step", BenchLine.round(sec / stepSeconds));
            lines.add(new BenchLine(prefix + ".op." + e.getKey(), sec, "s/step", c));
        }
        Map<String, Object> c = new LinkedHashMap<>(config);
        c.put("share_of_step", BenchLine.round(other / stepSeconds));
        lines.add(new BenchLine(prefix + ".op.other", other, "s/step", c));
        double outside = stepSeconds - totalSeconds() / steps;
        Map<String, Object> c2 = new LinkedHashMap<>(config);
        c2.put("share_of_step", BenchLine.round(outside / stepSeconds));
        c2.put("ops_per_step", byType.values().stream().mapToLong(v -> v[1]).sum() / steps);
        lines.add(new BenchLine(prefix + ".outside_ops", outside, "s/step", c2));
        lines.forEach(out);
        return lines;
    }
}
