package dev.medseg.job.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs the PyTorch peer ({@code transunet_step.py} on the official TransUNet checkout) with the same model, batch,
 * size and steps, and turns its output into figures of the same form, named {@code peer.<mode>.<model>.*}. Its
 * peak resident memory comes from {@code getrusage(RUSAGE_SELF).ru_maxrss}, read by a tiny wrapper after the script
 * has run. The peer takes one untimed warm-up step and its own loss (cross-entropy only).
 *
 * @param python   the interpreter with torch (e.g. /usr/bin/python3)
 * @param script   transunet_step.py; its folder holds the {@code shim/} package
 * @param checkout the TransUNet checkout (holds {@code networks/vit_seg_modeling.py})
 * @param threads  torch threads (the peer's default 2)
 * @param timeout  seconds before the peer is killed
 * @param ourNativeEnv whether the peer also gets the native settings bin/native-env.sh added for us (GOMP_SPINCOUNT,
 *                 OPENBLAS_THREAD_TIMEOUT, tcmalloc); by default it runs as its users run it, without them
 * @param blasDir  a folder put first on the peer's {@code LD_LIBRARY_PATH} for its BLAS ({@link #openmpOpenBlas}), or
 *                 null for the system's default BLAS
 */
public record PeerBenchmark(Path python, Path script, Path checkout, int threads, long timeout, boolean ourNativeEnv,
                            Path blasDir) {

    /** Where Debian and Ubuntu install the OpenMP build of OpenBLAS ({@code libopenblas0-openmp}). */
    static final List<Path> OPENMP_OPENBLAS = List.of(Path.of("/usr/lib/x86_64-linux-gnu/openblas-openmp"),
            Path.of("/usr/lib/aarch64-linux-gnu/openblas-openmp"));

    /**
     * The OpenMP build of OpenBLAS, if installed. Debian's torch calls the system BLAS, by default OpenBLAS's pthreads
     * build, whose own threads (one per core) run beside torch's OpenMP threads: at {@code --threads 2} on 2 cores
     * the peer's step took 4.1-4.5 s with it and 2.3 s with the OpenMP build, which shares torch's threads (as the
     * MKL of the PyTorch wheels does). A comparison with the first flatters us.
     */
    public static Path openmpOpenBlas() {
        return OPENMP_OPENBLAS.stream().filter(d -> Files.isRegularFile(d.resolve("libopenblas.so.0"))).findFirst().orElse(null);
    }

    /** Prints the peer's peak RSS after the script ran as __main__ (argv[1] = script, the rest its arguments). */
    static final String WRAPPER = "import sys, runpy, resource, json\n"
            + "script = sys.argv[1]; sys.argv = [script] + sys.argv[2:]\n"
            + "runpy.run_path(script, run_name='__main__')\n"
            + "print(json.dumps({'peak_rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n";

    /** Null if the peer can run here, else why not. */
    public String unavailableReason() {
        if (!Files.isExecutable(python)) return "no python interpreter at " + python;
        if (!Files.isRegularFile(script)) return "no peer script at " + script + " (see --peer-script)";
        if (!Files.isRegularFile(checkout.resolve("networks/vit_seg_modeling.py"))) {
            return "no TransUNet checkout at " + checkout + " (networks/vit_seg_modeling.py missing; see --peer-dir)";
        }
        return null;
    }

    /** The peer's arguments for these settings (the tiny model shrinks only the ViT and the LLM block). */
    static List<String> arguments(BenchSettings s, int threads) {
        List<String> a = new ArrayList<>(List.of("--img", Integer.toString(s.size()), "--batch", Integer.toString(s.batch()),
                "--steps", Integer.toString(s.steps()), "--threads", Integer.toString(threads),
                "--classes", Integer.toString(s.classes())));
        var cfg = s.model().config(s.size(), s.classes(), s.tiny());
        var v = cfg.vit();
        if (s.tiny()) {
            a.addAll(List.of("--hidden", "" + v.hidden(), "--layers", "" + v.layers(), "--heads", "" + v.heads(),
                    "--mlp", "" + v.mlpDim()));
        }
        cfg.llm().ifPresent(l -> a.addAll(List.of("--llm-dim", "" + l.dim(), "--llm-ffn", "" + l.ffnDim(),
                "--llm-heads", "" + l.heads())));
        if (s.mode() == BenchSettings.Mode.FORWARD) a.add("--forward-only");
        return a;
    }

    /** Runs the peer once and returns its figures; a clear exception if it fails or prints something else. */
    public List<BenchLine> run(BenchSettings s, Consumer<BenchLine> out, Consumer<String> log) {
        String why = unavailableReason();
        if (why != null) throw new BenchException("peer not available: " + why);
        List<String> cmd = new ArrayList<>(List.of(python.toString(), "-c", WRAPPER, script.toString()));
        cmd.addAll(arguments(s, threads));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        Path shim = script.toAbsolutePath().getParent().resolve("shim");
        pb.environment().put("PYTHONPATH", shim + ":" + checkout.toAbsolutePath());
        if (!ourNativeEnv) NativeEnv.removeAdded(pb.environment());
        Map<String, String> nativeEnv = new java.util.TreeMap<>(NativeEnv.describe(pb.environment()));
        if (blasDir != null) {
            pb.environment().merge("LD_LIBRARY_PATH", blasDir.toString(), (old, dir) -> dir + ":" + old);
            nativeEnv.put("LD_LIBRARY_PATH", pb.environment().get("LD_LIBRARY_PATH"));
        }
        ProcStats.LoadAverage before = ProcStats.loadAverage();
        List<String> stdout = new ArrayList<>();
        try {
            Process p = pb.start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) stdout.add(line);
            }
            if (!p.waitFor(timeout, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new BenchException("peer did not finish within " + timeout + " s");
            }
            if (p.exitValue() != 0) throw new BenchException("peer exited with " + p.exitValue() + ": " + String.join(" ", cmd.subList(3, cmd.size())));
        } catch (IOException e) {
            throw new BenchException("cannot run the peer " + python + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while waiting for the peer", e);
        }
        ProcStats.LoadAverage after = ProcStats.loadAverage();
        return figures(s, stdout, before, after, nativeEnv, out);
    }

    /** Turns the peer's stdout (its JSON line, then the wrapper's peak RSS line) into our figures. */
    static List<BenchLine> figures(BenchSettings s, List<String> stdout, ProcStats.LoadAverage before,
                                   ProcStats.LoadAverage after, Map<String, String> nativeEnv, Consumer<BenchLine> out) {
        Map<?, ?> result = null;
        long peakKb = -1;
        for (String line : stdout) {
            String t = line.strip();
            if (!t.startsWith("{")) continue;
            Object o;
            try {
                o = dev.medseg.model.io.Json.parse(t, "peer output");
            } catch (RuntimeException e) {
                throw new BenchException("peer printed malformed JSON: " + BenchLine.abbreviate(t));
            }
            if (!(o instanceof Map<?, ?> m)) continue;
            if (m.get("sec_per_step_median") instanceof Number) result = m;
            if (m.get("peak_rss_kb") instanceof Number n) peakKb = n.longValue();
        }
        if (result == null) {
            throw new BenchException("peer printed no result line with sec_per_step_median: "
                    + BenchLine.abbreviate(String.join(" | ", stdout)));
        }
        double median = ((Number) result.get("sec_per_step_median")).doubleValue();
        if (!(median > 0)) throw new BenchException("peer reported a step time of " + median + " s");
        Map<String, Object> c = s.config();
        c.put("warmup", 1); // the script's fixed untimed first step
        c.put("peer", result.get("peer"));
        c.put("params_total", result.get("params_total"));
        c.put("params_trainable", result.get("params_trainable"));
        c.put("step_seconds", result.get("all"));
        c.put("threads", result.get("threads"));
        c.put("native_env", nativeEnv);
        if (c.containsKey("llm_storage")) c.put("llm_storage", "float32"); // the peer's block is always fp32
        if (s.mode() == BenchSettings.Mode.TRAIN_STEP) {
            c.put("loss", "cross-entropy");
            c.put("optimizer", "sgd momentum 0.9, weight decay 1e-4, lr 0.01");
        }
        if (s.tiny()) c.put("note", "tiny: the peer shrinks only the ViT and LLM block, not the ResNet or decoder");
        c.put("load_before", before.asList());
        c.put("load_after", after.asList());
        return ModelBenchmark.figures("peer.", s, median, peakKb * 1024, ModelFlops.of(s.model().config(s.size(),
                s.classes(), s.tiny())), c, out);
    }

    /**
     * Ratio lines ours/peer for every figure both have (seconds, images/s, GFLOP/s, peak RSS): below 1 is better for
     * seconds and memory, above 1 for throughput.
     */
    public static List<BenchLine> ratios(List<BenchLine> ours, List<BenchLine> peer, Consumer<BenchLine> out) {
        Map<String, BenchLine> byName = new LinkedHashMap<>();
        for (BenchLine p : peer) byName.put(p.name().startsWith("peer.") ? p.name().substring(5) : p.name(), p);
        List<BenchLine> lines = new ArrayList<>();
        for (BenchLine o : ours) {
            BenchLine p = byName.get(o.name());
            if (p == null || !(p.value() > 0)) continue;
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("ours", BenchLine.round(o.value()));
            c.put("peer", BenchLine.round(p.value()));
            c.put("unit", o.unit());
            for (String k : List.of("model", "mode", "batch", "size", "classes", "steps")) c.put(k, o.config().get(k));
            if (o.config().containsKey("llm_storage")) c.put("llm_storage", o.config().get("llm_storage")); // ours
            c.put("load_ours", o.config().get("load_after"));
            c.put("load_peer", p.config().get("load_after"));
            c.put("target", o.name().endsWith(".seconds") ? "<= 0.8" : o.name().endsWith(".peak_rss") ? "<= 1" : ">= 1.25");
            BenchLine r = new BenchLine("ratio." + o.name(), o.value() / p.value(), "ours/peer", c);
            lines.add(r);
            out.accept(r);
        }
        return lines;
    }
}
