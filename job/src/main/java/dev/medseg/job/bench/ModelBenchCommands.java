package dev.medseg.job.bench;

import dev.medseg.job.cli.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/** The picocli subcommands of {@code bench} for the models; each figure is one JSON line on stdout, progress on stderr. */
public final class ModelBenchCommands {
    private ModelBenchCommands() {}

    /** Runs each setting in a child JVM, or here with {@code --in-process}. */
    static List<BenchLine> runOurs(ModelBenchOptions o, List<BenchSettings> runs, CommandLine cl) {
        Consumer<BenchLine> print = figures(cl);
        Consumer<String> log = progress(cl);
        List<BenchLine> all = new ArrayList<>();
        for (BenchSettings s : runs) {
            try {
                all.addAll(o.inProcess ? ModelBenchmark.run(s, o.opProfile, o.liveProfile, print, log)
                        : ChildJvm.run(o.childArgumentsOf(s), print, log));
            } catch (BenchException e) {
                throw new UserError(e.getMessage(), e);
            }
        }
        return all;
    }

    /** Prints each figure as a JSON line on the command's stdout, at once. */
    static Consumer<BenchLine> figures(CommandLine cl) {
        PrintWriter out = cl.getOut();
        return l -> {
            out.println(l.toJson());
            out.flush();
        };
    }

    /** Prints progress lines on the command's stderr, at once. */
    static Consumer<String> progress(CommandLine cl) {
        PrintWriter err = cl.getErr();
        return m -> {
            err.println(m);
            err.flush();
        };
    }

    /** {@code bench train-step}: seconds per SGD step, images/s, GFLOP/s and peak memory. */
    @Command(name = "train-step", description = "One training step (forward + backward + SGD momentum update) at fp32: "
            + "median s/step, images/s, achieved GFLOP/s and peak RSS, each model in a fresh JVM.")
    public static final class TrainStep implements Callable<Integer> {
        @Mixin ModelBenchOptions options;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            runOurs(options, options.settings(BenchSettings.Mode.TRAIN_STEP), spec.commandLine());
            return 0;
        }
    }

    /** {@code bench storage}: how far half-precision storage of the frozen block moves LLM-TransUNet's logits. */
    @Command(name = "storage", description = "LLM-TransUNet eval logits with the frozen block's matrices kept as "
            + "float16 and bfloat16 (model.llm.storage) against float32 storage of the same fp32-drawn weights: max and "
            + "mean absolute difference, and the fraction of pixels whose class is unchanged.")
    public static final class Storage implements Callable<Integer> {
        @Option(names = "--batch", defaultValue = "2", description = "Images (default ${DEFAULT-VALUE}).")
        int batch;
        @Option(names = "--size", defaultValue = "256", description = "Image side in pixels (default ${DEFAULT-VALUE}).")
        int size;
        @Option(names = "--classes", defaultValue = "9", description = "Output classes (default ${DEFAULT-VALUE}, Synapse).")
        int classes;
        @Option(names = "--tiny", description = "The test-size model (a quick smoke run).")
        boolean tiny;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try {
                BenchSettings.checkImages(batch, size, classes);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            StorageBenchmark.run(size, classes, batch, tiny, figures(spec.commandLine()), progress(spec.commandLine()));
            return 0;
        }
    }

    /** {@code bench forward}: eval-mode inference throughput and peak memory. */
    @Command(name = "forward", description = "Eval-mode forward at fp32: median s/batch, images/s, achieved GFLOP/s "
            + "and peak RSS, each model in a fresh JVM.")
    public static final class Forward implements Callable<Integer> {
        @Mixin ModelBenchOptions options;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            runOurs(options, options.settings(BenchSettings.Mode.FORWARD), spec.commandLine());
            return 0;
        }
    }

    /** {@code bench peer}: ours and the PyTorch peer back to back, then ours/peer ratio lines. */
    @Command(name = "peer", description = "Side by side: our benchmark, then the official PyTorch TransUNet "
            + "(transunet_step.py) with the same settings, then ratio lines ours/peer.")
    public static final class Peer implements Callable<Integer> {
        @Mixin ModelBenchOptions options;
        @Option(names = "--mode", defaultValue = "train-step", description = "train-step, forward or both (default ${DEFAULT-VALUE}).")
        String mode;
        @Option(names = "--peer-dir", defaultValue = "/tmp/TransUNet", paramLabel = "DIR",
                description = "The official TransUNet checkout (default ${DEFAULT-VALUE}).")
        Path peerDir;
        @Option(names = "--peer-script", defaultValue = "../shared/peers/transunet_step.py", paramLabel = "FILE",
                description = "transunet_step.py, with shim/ beside it (default ${DEFAULT-VALUE}).")
        Path peerScript;
        @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch (default ${DEFAULT-VALUE}).")
        Path python;
        @Option(names = "--threads", defaultValue = "2", description = "The peer's torch threads (default ${DEFAULT-VALUE}).")
        int threads;
        @Option(names = "--peer-only", description = "Run only the peer (no ratios).")
        boolean peerOnly;
        @Option(names = "--peer-native-env", description = "Give the peer the native settings bin/native-env.sh adds "
                + "for us (GOMP_SPINCOUNT, OPENBLAS_THREAD_TIMEOUT, tcmalloc); by default it runs without them, as its users run it.")
        boolean peerNativeEnv;
        @Option(names = "--peer-blas", defaultValue = "openmp", description = "The peer's BLAS: openmp (OpenBLAS's "
                + "OpenMP build, which shares torch's threads like the wheels' MKL; Debian: libopenblas0-openmp) or system "
                + "(the default alternative, on Debian OpenBLAS's pthreads build, whose threads compete with torch's) "
                + "(default ${DEFAULT-VALUE}).")
        String peerBlas;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            List<BenchSettings.Mode> modes = switch (mode) {
                case "train-step" -> List.of(BenchSettings.Mode.TRAIN_STEP);
                case "forward" -> List.of(BenchSettings.Mode.FORWARD);
                case "both" -> List.of(BenchSettings.Mode.TRAIN_STEP, BenchSettings.Mode.FORWARD);
                default -> throw new UserError("--mode must be train-step, forward or both, got '" + mode + "'");
            };
            if (threads < 1 || threads > 256) throw new UserError("--threads must be in [1, 256], got " + threads);
            if (!peerBlas.equals("openmp") && !peerBlas.equals("system")) {
                throw new UserError("--peer-blas must be openmp or system, got '" + peerBlas + "'");
            }
            Path blas = peerBlas.equals("openmp") ? PeerBenchmark.openmpOpenBlas() : null;
            PeerBenchmark peer = new PeerBenchmark(python, peerScript, peerDir, threads, 3600, peerNativeEnv, blas);
            String why = peer.unavailableReason();
            if (why != null) throw new UserError("peer not available: " + why);
            if (peerBlas.equals("openmp") && blas == null) {
                throw new UserError("--peer-blas openmp: OpenBLAS's OpenMP build is not installed (looked in "
                        + PeerBenchmark.OPENMP_OPENBLAS + "; Debian/Ubuntu: apt-get install libopenblas0-openmp); "
                        + "--peer-blas system runs the peer with the system's BLAS, whose threads may compete with torch's");
            }
            CommandLine cl = spec.commandLine();
            Consumer<BenchLine> print = figures(cl);
            for (BenchSettings.Mode m : modes) {
                for (BenchSettings s : options.settings(m)) {
                    try {
                        List<BenchLine> ours = peerOnly ? List.of() : runOurs(options, List.of(s), cl);
                        List<BenchLine> theirs = peer.run(s, print, e -> cl.getErr().println(e));
                        PeerBenchmark.ratios(ours, theirs, print);
                    } catch (BenchException e) {
                        throw new UserError(e.getMessage(), e);
                    }
                }
            }
            return 0;
        }
    }
}
