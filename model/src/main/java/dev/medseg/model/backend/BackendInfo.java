package dev.medseg.model.backend;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.util.ArrayList;
import java.util.List;

/**
 * What ND4J is running on: backend, native build, threads and, for CUDA, each device's compute capability
 * checked against what ND4J's CUDA 11.6 build has kernels for.
 */
public record BackendInfo(String backend, String nativeBuild, int ompThreads, int blasThreads,
                          long offHeapLimitBytes, List<Device> devices) {

    /** One accelerator, or the host CPU (major = minor = 0). */
    public record Device(int index, String name, int major, int minor, long totalMemoryBytes) {
        public boolean isGpu() { return major > 0; }

        /** Null when usable, else why not. */
        public String unsupportedReason() {
            if (!isGpu() || CudaArchitectures.canRun(major, minor)) return null;
            return CudaArchitectures.refusal(index, name, major, minor);
        }
    }

    /** Probes the loaded ND4J backend (initialises it if needed). */
    public static BackendInfo probe() {
        var backend = Nd4j.getBackend();
        var env = Nd4j.getEnvironment();
        var info = Nd4j.getExecutioner().getEnvironmentInformation();
        int omp = intOf(info.get("omp.threads"), env.maxThreads());
        int blas = intOf(info.get("blas.threads"), omp);
        long offHeap = org.bytedeco.javacpp.Pointer.maxBytes();
        List<Device> devices = new ArrayList<>();
        String build;
        if (env.isCPU()) {
            build = nativeCpuBuild();
            devices.add(new Device(0, "cpu", 0, 0, org.bytedeco.javacpp.Pointer.maxPhysicalBytes()));
        } else {
            build = "cuda";
            NativeOps ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
            int n = Nd4j.getAffinityManager().getNumberOfDevices();
            for (int i = 0; i < n; i++) {
                devices.add(new Device(i, "cuda:" + i, ops.getDeviceMajor(i), ops.getDeviceMinor(i),
                        ops.getDeviceTotalMemory(i)));
            }
        }
        return new BackendInfo(backend.getClass().getSimpleName(), build, omp, blas, offHeap, List.copyOf(devices));
    }

    /** The first reason a device cannot run this build's kernels, or null when every device can. */
    public String unsupportedReason() {
        return devices.stream().map(Device::unsupportedReason).filter(r -> r != null).findFirst().orElse(null);
    }

    /** Which native CPU build is on the classpath: the oneDNN one is ~4x faster for conv2d. */
    static String nativeCpuBuild() {
        String base = "org/nd4j/linalg/cpu/nativecpu/bindings/";
        ClassLoader cl = BackendInfo.class.getClassLoader();
        for (String classifier : new String[]{"linux-x86_64-onednn-avx512", "linux-x86_64-onednn",
                "linux-x86_64-avx512", "linux-x86_64-avx2", "linux-x86_64"}) {
            if (cl.getResource(base + classifier + "/") != null
                    || cl.getResource(base + classifier + "/libjnind4jcpu.so") != null) {
                return "nd4j-native " + classifier;
            }
        }
        return "nd4j-native (unknown build)";
    }

    private static int intOf(Object v, int fallback) {
        if (v instanceof Number n) return n.intValue();
        try { return v == null ? fallback : Integer.parseInt(v.toString()); } catch (NumberFormatException e) { return fallback; }
    }
}
