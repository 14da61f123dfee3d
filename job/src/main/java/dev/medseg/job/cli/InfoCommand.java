package dev.medseg.job.cli;

import dev.medseg.model.backend.BackendInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** Prints versions, the ND4J backend, threads, memory and devices; refuses unsupported GPUs. */
@Command(name = "info", description = "Versions, ND4J backend and threads, memory, and GPU support of this build.")
final class InfoCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (String v : new Versions().getVersion()) out.println(v);
        Runtime rt = Runtime.getRuntime();
        out.printf("machine: %s %s, %d cores%n", System.getProperty("os.name"), System.getProperty("os.arch"),
                rt.availableProcessors());
        out.printf("memory: max heap %s, off-heap limit (ND4J) %s%n", gib(rt.maxMemory()),
                gib(org.bytedeco.javacpp.Pointer.maxBytes()));
        BackendInfo b = BackendInfo.probe();
        out.printf("nd4j backend: %s (%s), threads: omp %d, blas %d%n", b.backend(), b.nativeBuild(),
                b.ompThreads(), b.blasThreads());
        for (var d : b.devices()) {
            if (d.isGpu()) {
                out.printf("device %d: %s, compute capability %d.%d, %s, %s%n", d.index(), d.name(), d.major(),
                        d.minor(), gib(d.totalMemoryBytes()), d.unsupportedReason() == null ? "supported" : "NOT supported");
            } else {
                out.println("device: cpu");
            }
        }
        String refusal = b.unsupportedReason();
        if (refusal != null) {
            spec.commandLine().getErr().println("medseg info: " + refusal);
            return 1;
        }
        out.flush();
        return 0;
    }

    private static String gib(long bytes) { return String.format("%.1f GiB", bytes / (double) (1L << 30)); }
}
