package dev.medseg.job.bench;

import dev.medseg.model.ModelConfig;
import dev.medseg.model.TransUNet;
import dev.medseg.model.backend.BackendInfo;
import dev.medseg.model.nn.CpuReplicas;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.nn.Inference;
import dev.medseg.model.train.LiveProfile;
import dev.medseg.model.train.Optimizer;
import dev.medseg.model.train.SegmentationLoss;
import dev.medseg.model.train.SegmentationTrainer;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Times one model in this JVM: a training step through {@link SegmentationTrainer#step} (forward, CE+Dice loss,
 * backward, SGD momentum 0.9 / weight decay 1e-4, BatchNorm statistics), or an eval-mode forward through
 * {@code sd.output}. Untimed warm-up steps first, then the median of the timed ones. Frozen LLM weights are drawn
 * at random (speed does not depend on their values). Run one model per JVM so that the peak resident memory
 * (VmHWM) is that model's alone.
 */
public final class ModelBenchmark {
    static final long SEED = 42;
    static final double LR = 0.01;

    private ModelBenchmark() {}

    /** Runs the benchmark, passing each figure to {@code out} as it is ready; returns them all. */
    public static List<BenchLine> run(BenchSettings s, Consumer<BenchLine> out, Consumer<String> log) {
        return run(s, 0, 0, out, log);
    }

    /**
     * As {@link #run(BenchSettings, Consumer, Consumer)}; {@code opProfileTop} &gt; 0 also times every op during the
     * timed steps and prints that many op types by time, the rest, and the time outside ops ({@link OpProfile});
     * {@code liveProfileTop} &gt; 0 (train-step) also prints the peak of live intermediate arrays during the timed
     * steps with that many of its largest groups ({@link LiveProfile}).
     */
    public static List<BenchLine> run(BenchSettings s, int opProfileTop, int liveProfileTop, Consumer<BenchLine> out,
                                      Consumer<String> log) {
        ModelConfig cfg = s.modelConfig();
        ProcStats.LoadAverage before = ProcStats.loadAverage();
        long t0 = System.nanoTime();
        Step step;
        long trainable, frozen;
        SameDiff graph;
        SegmentationTrainer trainer = null;
        boolean train = s.mode() == BenchSettings.Mode.TRAIN_STEP;
        // How many slices a batch runs as side by side (CpuReplicas); profiles time ops on one thread: one pass.
        int replicas = opProfileTop > 0 || liveProfileTop > 0 ? 1
                : train ? CpuReplicas.forTraining(s.batch()) : CpuReplicas.forBatch(s.batch());
        if (train) {
            trainer = new SegmentationTrainer(cfg, SegmentationLoss.CE_DICE, new Optimizer.Sgd(0.9, 1e-4), s.batch(),
                    SEED, null, replicas);
            trainable = count(trainer.graph().trainable());
            frozen = count(trainer.graph().frozen());
            float[] images = randomImages(s.batch(), cfg);
            byte[] labels = randomLabels(s.batch(), cfg);
            SegmentationTrainer t = trainer;
            step = i -> t.step(images, labels, LR, SEED + i);
            graph = trainer.graph().sd();
        } else {
            Graph g = new Graph(Graph.Mode.EVAL, 0, SEED, DataType.FLOAT, null);
            TransUNet.build(g, cfg);
            trainable = count(g.trainable());
            frozen = count(g.frozen());
            SameDiff sd = g.sd();
            graph = sd;
            int n = cfg.imageSize();
            INDArray x = Nd4j.create(randomImages(s.batch(), cfg), new long[]{s.batch(), cfg.inChannels(), n, n}, 'c');
            step = replicas == 1 ? i -> Inference.output(sd, Map.of(TransUNet.INPUT, x), TransUNet.LOGITS)
                    : i -> Inference.outputBySample(sd, Map.of(TransUNet.INPUT, x), TransUNet.LOGITS);
        }
        double setup = seconds(t0);
        log.accept(String.format("bench %s: built in %.1f s (%d trainable, %d frozen parameters); %d warm-up + %d timed steps",
                s.prefix(), setup, trainable, frozen, s.warmup(), s.steps()));
        double[] warm = new double[s.warmup()];
        double[] times = new double[s.steps()];
        OpProfile profile = opProfileTop > 0 ? new OpProfile() : null;
        LiveProfile live = null;
        for (int i = 0; i < s.warmup() + s.steps(); i++) {
            if (profile != null && i == s.warmup()) attach(graph, profile);
            if (i == s.warmup() && liveProfileTop > 0 && trainer != null) live = trainer.profileLiveArrays();
            long t = System.nanoTime();
            step.run(i);
            double sec = seconds(t);
            if (i < s.warmup()) warm[i] = sec;
            else times[i - s.warmup()] = sec;
            log.accept(String.format("bench %s: %s step %d: %.3f s", s.prefix(), i < s.warmup() ? "warm-up" : "timed",
                    i < s.warmup() ? i + 1 : i - s.warmup() + 1, sec));
        }
        ProcStats.LoadAverage after = ProcStats.loadAverage();
        long peak = ProcStats.peakResidentBytes();
        ModelFlops flops = ModelFlops.of(cfg);
        BackendInfo backend = BackendInfo.probe();

        Map<String, Object> c = s.config();
        c.put("params_trainable", trainable);
        c.put("params_frozen", frozen);
        c.put("warmup_seconds", warm);
        c.put("step_seconds", times);
        c.put("setup_seconds", BenchLine.round(setup));
        c.put("threads", Map.of("omp", backend.ompThreads(), "blas", backend.blasThreads(),
                "cpus", Runtime.getRuntime().availableProcessors()));
        c.put("cpu_replicas", replicas);
        c.put("backend", backend.nativeBuild());
        c.put("native_env", NativeEnv.describe(System.getenv()));
        c.put("load_before", before.asList());
        c.put("load_after", after.asList());
        if (s.mode() == BenchSettings.Mode.TRAIN_STEP) {
            c.put("loss", "ce-dice");
            c.put("optimizer", "sgd momentum 0.9, weight decay 1e-4, lr 0.01");
        }
        List<BenchLine> lines = figures("", s, median(times), peak, flops, c, out);
        if (profile != null) {
            Map<String, Object> pc = s.config();
            pc.put("load_after", after.asList());
            double mean = Arrays.stream(times).average().orElseThrow();
            pc.put("mean_step_seconds", BenchLine.round(mean));
            lines = new ArrayList<>(lines);
            lines.addAll(profile.figures(s.prefix(), s.steps(), mean, opProfileTop, pc, out));
        }
        if (live != null) {
            Map<String, Object> lc = s.config();
            lc.put("peak_after_op", live.peakOp());
            lc.put("largest_groups", live.groups().stream().limit(liveProfileTop).map(Object::toString).toList());
            BenchLine l = new BenchLine(s.prefix() + ".live_intermediates_peak", live.peakBytes() / 1048576.0, "MiB", lc);
            out.accept(l);
            lines = new ArrayList<>(lines);
            lines.add(l);
        }
        return lines;
    }

    /** Puts the profiler on the graph and on its gradient function (which exists after the first training step). */
    private static void attach(SameDiff sd, OpProfile p) {
        sd.addListeners(p);
        SameDiff grad = sd.getFunction("grad");
        if (grad != null) grad.addListeners(p);
    }

    /**
     * The four figures of one run (seconds per step, images/s, achieved GFLOP/s, peak RSS), named
     * {@code <prefix><mode>.<model>.<figure>}; shared with the peer so both print alike.
     */
    static List<BenchLine> figures(String namePrefix, BenchSettings s, double median, long peakBytes, ModelFlops flops,
                                   Map<String, Object> config, Consumer<BenchLine> out) {
        String p = namePrefix + s.prefix() + ".";
        double gflopPerImage = s.mode() == BenchSettings.Mode.TRAIN_STEP ? flops.trainGflop() : flops.forwardGflop();
        double gflops = gflopPerImage * s.batch() / median;
        List<BenchLine> lines = new ArrayList<>();
        Map<String, Object> g = new LinkedHashMap<>(config);
        g.put("gflop_per_image", BenchLine.round(gflopPerImage));
        g.put("machine_peak_gflops", BenchSettings.MACHINE_PEAK_GFLOPS);
        g.put("fraction_of_peak", BenchLine.round(gflops / BenchSettings.MACHINE_PEAK_GFLOPS));
        lines.add(new BenchLine(p + "seconds", median, "s/step (median)", config));
        lines.add(new BenchLine(p + "images_per_s", s.batch() / median, "images/s", config));
        lines.add(new BenchLine(p + "gflops", gflops, "GFLOP/s", g));
        if (peakBytes > 0) lines.add(new BenchLine(p + "peak_rss", peakBytes / 1048576.0, "MiB", config));
        lines.forEach(out);
        return lines;
    }

    /** The median (mean of the middle two for an even count). */
    static double median(double[] v) {
        if (v.length == 0) throw new IllegalArgumentException("no values");
        double[] a = v.clone();
        Arrays.sort(a);
        int m = a.length / 2;
        return a.length % 2 == 1 ? a[m] : (a[m - 1] + a[m]) / 2;
    }

    private interface Step {
        void run(int i);
    }

    private static long count(Map<String, long[]> shapes) {
        long n = 0;
        for (long[] s : shapes.values()) n += Arrays.stream(s).reduce(1, (a, b) -> a * b);
        return n;
    }

    static float[] randomImages(int batch, ModelConfig c) {
        Random r = new Random(SEED);
        float[] x = new float[batch * c.inChannels() * c.imageSize() * c.imageSize()];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        return x;
    }

    private static byte[] randomLabels(int batch, ModelConfig c) {
        Random r = new Random(SEED + 1);
        byte[] y = new byte[batch * c.imageSize() * c.imageSize()];
        for (int i = 0; i < y.length; i++) y[i] = (byte) r.nextInt(c.numClasses());
        return y;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
