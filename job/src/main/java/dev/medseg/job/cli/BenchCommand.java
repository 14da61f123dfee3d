package dev.medseg.job.cli;

import dev.medseg.data.prep.Interpolation;
import dev.medseg.data.prep.PrepBenchmark;
import dev.medseg.job.bench.AveragingCommand;
import dev.medseg.job.bench.ModelBenchCommands;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Benchmarks, one subcommand each; every figure is one JSON line on stdout. */
@Command(name = "bench", description = "Benchmarks: one JSON line per figure {name, value, unit, config}.",
        subcommands = {BenchCommand.Prep.class, BenchCommand.Hd95.class, ModelBenchCommands.TrainStep.class,
                ModelBenchCommands.Forward.class, ModelBenchCommands.Peer.class, ModelBenchCommands.Storage.class,
                AveragingCommand.class})
final class BenchCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing benchmark: choose one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /** {@code bench prep}: slices per second of the prep pipeline on generated BTCV-like volumes. */
    @Command(name = "prep", description = "Slices/s of prep on generated BTCV-like int16 512x512xD .nii.gz volumes: "
            + "the per-case pipeline on one core, and the Spark job in local[1].")
    static final class Prep implements Callable<Integer> {
        @Option(names = "--volumes", defaultValue = "12", description = "Volumes to generate (1-30, default "
                + "${DEFAULT-VALUE}: 1,800 slices, so the Spark job's start-up weighs about as little as in a "
                + "BTCV run).")
        int volumes;
        @Option(names = "--depth", defaultValue = "150", description = "Slices per volume (default ${DEFAULT-VALUE}).")
        int depth;
        @Option(names = "--output-dir", paramLabel = "DIR",
                description = "Where the generated tree and outputs go (kept; default: a new temp dir).")
        Path outputDir;
        @Option(names = "--interpolation", defaultValue = "cubic",
                description = "linear or cubic (default ${DEFAULT-VALUE}, as the scipy order-3 Python peer).")
        String interpolation;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            if (volumes < 1 || volumes > 30 || depth < 1 || depth > 2000) {
                throw new UserError("--volumes must be in [1, 30] and --depth in [1, 2000]");
            }
            Interpolation kind;
            try {
                kind = Interpolation.parse(interpolation);
            } catch (IllegalArgumentException e) {
                throw new UserError("--interpolation: " + e.getMessage());
            }
            Path dir = outputDir != null ? outputDir : Files.createTempDirectory("medseg-bench-prep");
            Files.createDirectories(dir);
            var out = spec.commandLine().getOut();
            PrepBenchmark.run(new PrepBenchmark.Settings(volumes, depth, dir, kind), l -> {
                out.println(l);
                out.flush();
            });
            spec.commandLine().getErr().println("bench prep: generated tree and outputs kept in " + dir);
            return 0;
        }
    }

    /**
     * {@code bench hd95}: medpy-exact HD95 of a 512×512×200 pair (two overlapping, shifted ellipsoids with a rough
     * surface) on one thread, the median of {@code --repeat} runs. Issue 6's target is 2 s.
     */
    @Command(name = "hd95", description = "Seconds for one HD95 (voxel and mm) of a 512x512xD mask pair on one core.")
    static final class Hd95 implements Callable<Integer> {
        @Option(names = "--depth", defaultValue = "200") int depth;
        @Option(names = "--size", defaultValue = "512") int size;
        @Option(names = "--repeat", defaultValue = "3") int repeat;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (size < 8 || size > 2048 || depth < 1 || depth > 2048 || repeat < 1 || repeat > 50) {
                throw new UserError("--size in [8, 2048], --depth in [1, 2048], --repeat in [1, 50]");
            }
            var grid = new dev.medseg.model.metrics.Grid(size, size, depth);
            var a = ellipsoid(grid, 0.5, 0.5, 0.5, 0.30, 0.22, 0.35, 1);
            var b = ellipsoid(grid, 0.53, 0.48, 0.52, 0.28, 0.24, 0.33, 2);
            double[] seconds = new double[repeat];
            double[] cpu = new double[repeat];
            var mx = java.lang.management.ManagementFactory.getThreadMXBean();
            double hd = 0, hdMm = 0;
            for (int i = 0; i < repeat; i++) {
                long t0 = System.nanoTime();
                long c0 = mx.getCurrentThreadCpuTime();
                hd = dev.medseg.model.metrics.SurfaceDistances.between(a, b, dev.medseg.model.metrics.Spacing.UNIT).hd95();
                hdMm = dev.medseg.model.metrics.SurfaceDistances.between(a, b,
                        new dev.medseg.model.metrics.Spacing(0.7, 0.7, 3.0)).hd95();
                seconds[i] = (System.nanoTime() - t0) / 1e9 / 2;
                cpu[i] = (mx.getCurrentThreadCpuTime() - c0) / 1e9 / 2;
            }
            java.util.Arrays.sort(seconds);
            java.util.Arrays.sort(cpu);
            var config = new java.util.LinkedHashMap<String, Object>();
            config.put("grid", size + "x" + size + "x" + depth);
            config.put("foreground_voxels", a.count() + "+" + b.count());
            config.put("hd95_voxel", hd);
            config.put("hd95_mm", hdMm);
            config.put("threads", 1);
            // CPU time of the one thread: what a quiet core would take, even on a loaded machine.
            config.put("cpu_seconds", cpu[repeat / 2]);
            config.put("repeat", repeat);
            config.put("target_seconds", 2.0);
            spec.commandLine().getOut().println(new dev.medseg.job.bench.BenchLine("metrics.hd95.seconds",
                    seconds[repeat / 2], "s", config).toJson());
            return 0;
        }

        /** An ellipsoid (centre and radii as fractions of the grid) with a seeded rough surface. */
        static dev.medseg.model.metrics.BinaryMask ellipsoid(dev.medseg.model.metrics.Grid g, double cx, double cy,
                                                            double cz, double rx, double ry, double rz, long seed) {
            var bits = new java.util.BitSet(g.size());
            var rnd = new java.util.SplittableRandom(seed);
            for (int z = 0; z < g.nz(); z++) {
                for (int y = 0; y < g.ny(); y++) {
                    for (int x = 0; x < g.nx(); x++) {
                        double dx = (x / (double) g.nx() - cx) / rx, dy = (y / (double) g.ny() - cy) / ry;
                        double dz = (z / (double) g.nz() - cz) / rz;
                        double r = dx * dx + dy * dy + dz * dz;
                        if (r < 0.95 || (r < 1.05 && rnd.nextDouble() < 0.5)) bits.set(g.index(x, y, z));
                    }
                }
            }
            return dev.medseg.model.metrics.BinaryMask.of(g, bits);
        }
    }
}
