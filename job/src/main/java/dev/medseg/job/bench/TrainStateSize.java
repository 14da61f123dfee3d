package dev.medseg.job.bench;

import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.io.SafetensorsSource;
import dev.medseg.model.io.TensorInfo;
import dev.medseg.model.train.ModelCheckpoint;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The size of what {@code train} ships every round: the {@code TrainState} the driver broadcasts (trainable
 * parameters, {@code slots} optimizer vectors as long as the parameters, BatchNorm running statistics; never the
 * frozen LLM block) and the {@code RoundSum} each worker sends back, the same values in double.
 *
 * @param params  trainable parameters P
 * @param slots   optimizer slots k (SGD momentum 1, Adam 2, plain SGD 0)
 * @param buffers BatchNorm running mean/var values
 */
public record TrainStateSize(long params, int slots, long buffers) {
    /** Optimizer slot tensors in a checkpoint are named {@code optimizer.<slot>.<parameter>}. */
    private static final String SLOT_PREFIX = "optimizer.";

    /** Checks the counts. */
    public TrainStateSize {
        if (params < 1 || slots < 0 || slots > 4 || buffers < 0) {
            throw new IllegalArgumentException("implausible state size: params " + params + ", slots " + slots + ", buffers " + buffers);
        }
    }

    /** Values in one state: P·(1 + k) + buffers. */
    public long values() {
        return params * (1 + slots) + buffers;
    }

    /** The state a round moves when workers keep their optimizer slots: parameters and buffers only. */
    public TrainStateSize withoutSlots() {
        return new TrainStateSize(params, 0, buffers);
    }

    /** The broadcast {@code TrainState}: float values (Java serialization writes float[] as 4 bytes each). */
    public long broadcastBytes() {
        return 4 * values();
    }

    /**
     * A merged {@code RoundSum} of two or more workers: the same values as double. (A one-worker sum travels as
     * its float state: {@link #broadcastBytes()}.)
     */
    public long resultBytes() {
        return 8 * values();
    }

    /**
     * Reads the sizes from a checkpoint's header (no tensor data): parameters are the tensors with optimizer
     * slots, buffers the other non-slot tensors; without slots (plain SGD) the buffers are the BatchNorm
     * {@code running_mean}/{@code running_var} tensors.
     */
    public static TrainStateSize ofCheckpoint(Path file) {
        try (SafetensorsSource src = SafetensorsSource.openFile(file)) {
            Map<String, String> meta = src.metadata();
            int slots;
            try {
                slots = Integer.parseInt(meta.getOrDefault(ModelCheckpoint.SLOTS_KEY, ""));
            } catch (NumberFormatException e) {
                throw new BenchException(file + ": metadata " + ModelCheckpoint.SLOTS_KEY + " is not a number: "
                        + meta.get(ModelCheckpoint.SLOTS_KEY) + " (not a medseg checkpoint?)");
            }
            if (slots < 0 || slots > 4) throw new BenchException(file + ": implausible optimizer_slots " + slots);
            Set<String> withSlots = new HashSet<>();
            long slotValues = 0;
            for (String n : src.names()) {
                if (!n.startsWith(SLOT_PREFIX)) continue;
                int dot = n.indexOf('.', SLOT_PREFIX.length());
                if (dot < 0) throw new BenchException(file + ": optimizer tensor without a parameter name: " + n);
                withSlots.add(n.substring(dot + 1));
                slotValues += numel(src, n);
            }
            long params = 0, buffers = 0;
            for (String n : src.names()) {
                if (n.startsWith(SLOT_PREFIX)) continue;
                boolean param = slots > 0 ? withSlots.contains(n) : !(n.endsWith(".running_mean") || n.endsWith(".running_var"));
                if (param) params += numel(src, n);
                else buffers += numel(src, n);
            }
            if (slotValues != (long) slots * params) {
                throw new BenchException(file + ": " + slotValues + " optimizer values for " + slots + " slot(s) of "
                        + params + " parameters");
            }
            if (params == 0) throw new BenchException(file + ": no trainable parameters");
            return new TrainStateSize(params, slots, buffers);
        } catch (CheckpointFormatException e) {
            throw new BenchException("cannot read the sizes of checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    private static long numel(SafetensorsSource src, String name) {
        return src.info(name).map(TensorInfo::numel).orElseThrow();
    }
}
