package dev.medseg.job.bench;

import dev.medseg.model.ModelConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One {@code bench averaging} run: the model, the per-worker work of a round, the worker counts to compare and
 * the memory each JVM of the loopback cluster gets.
 *
 * @param model              which model
 * @param tiny               the test-size model of the same topology (smoke runs; figures mean nothing)
 * @param size               image side in pixels (multiple of 16)
 * @param classes            output classes (9: Synapse; the synthetic data are Synapse-like)
 * @param batchPerWorker     images per optimizer step on each worker (the same for every worker count)
 * @param averagingFrequency optimizer steps each worker runs between two averagings
 * @param rounds             averaging rounds per run, warm-up included
 * @param warmup             first rounds left out of the figures (graph building, JIT)
 * @param optimizer          {@code sgd} (momentum: 1 slot) or {@code adam} (2 slots)
 * @param localSlots         workers keep their optimizer slots ({@code train.averageOptimizerState=false}): rounds move
 *                           parameters only, except the last (the final checkpoint brings the slots back)
 * @param exchange           {@code train.exchange}: {@code driver} (the driver averages and broadcasts every round) or
 *                           {@code peers} (the workers average among themselves; the last round goes to the driver)
 * @param workers            worker counts to run, one cluster each, ascending; the first is the scaling base
 * @param memory             heap and off-heap limits of the driver and the executors
 * @param timeoutMinutes     a train run that takes longer is killed
 */
public record AveragingSettings(BenchModel model, boolean tiny, int size, int classes, int batchPerWorker,
                                int averagingFrequency, int rounds, int warmup, String optimizer, boolean localSlots,
                                String exchange, List<Integer> workers,
                                Memory memory, int timeoutMinutes) {

    /**
     * Memory of the cluster's JVMs, in GB. The executor heap holds the broadcast state (float) and the worker's
     * result (float) while it is serialized; the off-heap limit (JavaCPP maxbytes) holds ND4J's parameters,
     * optimizer slots and activations; maxphysicalbytes = heap + off-heap + 1.
     */
    public record Memory(int driverHeapGb, int executorHeapGb, int executorOffHeapGb) {
        /** Checks the ranges. */
        public Memory {
            if (driverHeapGb < 1 || driverHeapGb > 256 || executorHeapGb < 1 || executorHeapGb > 256
                    || executorOffHeapGb < 1 || executorOffHeapGb > 256) {
                throw new IllegalArgumentException("memory sizes must be in [1, 256] GB, got driver heap " + driverHeapGb
                        + ", executor heap " + executorHeapGb + ", executor off-heap " + executorOffHeapGb);
            }
        }

        /** The executor JVM's ND4J limits: {@code -Dorg.bytedeco.javacpp.maxbytes=... maxphysicalbytes=...}. */
        public String executorJavaCpp() {
            return "-Dorg.bytedeco.javacpp.maxbytes=" + executorOffHeapGb + "G -Dorg.bytedeco.javacpp.maxphysicalbytes="
                    + (executorHeapGb + executorOffHeapGb + 1) + "G";
        }
    }

    /** Checks ranges so that a typo cannot start a 64-worker cluster or a thousand rounds. */
    public AveragingSettings {
        if (model == null || memory == null || workers == null) throw new IllegalArgumentException("model, memory and workers required");
        if (size < 16 || size > 1024 || size % 16 != 0) {
            throw new IllegalArgumentException("--size must be a multiple of 16 in [16, 1024], got " + size);
        }
        if (classes < 2 || classes > 256) throw new IllegalArgumentException("--classes must be in [2, 256], got " + classes);
        if (batchPerWorker < 1 || batchPerWorker > 64) {
            throw new IllegalArgumentException("--batch must be in [1, 64], got " + batchPerWorker);
        }
        if (averagingFrequency < 1 || averagingFrequency > 1000) {
            throw new IllegalArgumentException("--averaging-frequency must be in [1, 1000], got " + averagingFrequency);
        }
        if (warmup < 0 || warmup > 10) throw new IllegalArgumentException("--warmup must be in [0, 10], got " + warmup);
        if (rounds <= warmup || rounds > 100) {
            throw new IllegalArgumentException("--rounds must be in [" + (warmup + 1) + ", 100] (more than --warmup "
                    + warmup + "), got " + rounds);
        }
        optimizer = optimizer == null ? "" : optimizer.toLowerCase(Locale.ROOT);
        if (!optimizer.equals("sgd") && !optimizer.equals("adam")) {
            throw new IllegalArgumentException("--optimizer must be sgd or adam, got '" + optimizer + "'");
        }
        if (!"driver".equals(exchange) && !"peers".equals(exchange)) {
            throw new IllegalArgumentException("--exchange must be driver or peers, got '" + exchange + "'");
        }
        workers = List.copyOf(workers);
        if (workers.isEmpty()) throw new IllegalArgumentException("--workers needs at least one count");
        for (int i = 0; i < workers.size(); i++) {
            int n = workers.get(i);
            if (n < 1 || n > 16) throw new IllegalArgumentException("--workers counts must be in [1, 16], got " + n);
            if (i > 0 && n <= workers.get(i - 1)) {
                throw new IllegalArgumentException("--workers counts must be ascending without repeats, got " + workers);
            }
        }
        if (timeoutMinutes < 1 || timeoutMinutes > 24 * 60) {
            throw new IllegalArgumentException("--timeout-minutes must be in [1, 1440], got " + timeoutMinutes);
        }
    }

    /** The model the runs train. */
    public ModelConfig modelConfig() {
        return model.config(size, classes, tiny);
    }

    /** Optimizer state vectors per parameter: SGD momentum 1, Adam 2 (first and second moment). */
    public int optimizerSlots() {
        return optimizer.equals("adam") ? 2 : 1;
    }

    /** What a round (other than the last) moves of a state of size {@code full}: without the slots if workers keep them. */
    public TrainStateSize exchanged(TrainStateSize full) {
        return localSlots ? full.withoutSlots() : full;
    }

    /**
     * The {@code train} config overrides of a run with {@code workerCount} workers: the model, the per-worker
     * batch, averaging every {@link #averagingFrequency} steps, {@link #rounds} rounds, no validation, checkpoints
     * only at the end, and enough epochs that the rounds are never cut short.
     */
    public List<String> trainOverrides(int workerCount) {
        List<String> o = new ArrayList<>(ModelOverrides.of(modelConfig()));
        o.addAll(List.of("train.workers=" + workerCount, "train.batchSizePerWorker=" + batchPerWorker,
                "train.averagingFrequency=" + averagingFrequency, "train.maxRounds=" + rounds,
                // every epoch has >= 1 step, so this many epochs always last the rounds
                "train.epochs=" + rounds * averagingFrequency,
                "train.optimizer.name=" + optimizer, "train.valSplit=\"\"", "train.validateEvery=0",
                "train.checkpointEvery=0", "train.keepCheckpoints=1", "train.averageOptimizerState=" + !localSlots,
                "train.exchange=" + exchange));
        return o;
    }

    /** The settings as the JSON config of every figure. */
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model.id() + (tiny ? " (tiny)" : ""));
        m.put("size", size);
        m.put("classes", classes);
        m.put("batch_per_worker", batchPerWorker);
        m.put("averaging_frequency", averagingFrequency);
        m.put("optimizer", optimizer);
        m.put("optimizer_state", localSlots ? "local (averaged in the last round only)" : "averaged every round");
        m.put("exchange", exchange);
        m.put("rounds", rounds);
        m.put("warmup_rounds", warmup);
        m.put("executor_cores", 1);
        m.put("executor_heap_gb", memory.executorHeapGb());
        m.put("executor_offheap_gb", memory.executorOffHeapGb());
        return m;
    }
}
