package dev.medseg.model.backend;

import java.util.List;

/**
 * The GPU architectures ND4J 1.0.0-M2.1's CUDA 11.6 build ships kernels for (sm_37 ... sm_86, no PTX).
 * A cubin for sm_XY runs on devices of the same major version with minor >= Y, so Ada (8.9) can run the sm_86
 * kernels, while Hopper (9.0) and newer can run none: we refuse them at start instead of failing in a kernel.
 */
public final class CudaArchitectures {
    /** (major, minor) pairs compiled into nd4j-cuda-11.6. */
    public static final List<int[]> COMPILED = List.of(
            new int[]{3, 7}, new int[]{5, 0}, new int[]{5, 2}, new int[]{6, 0}, new int[]{6, 1},
            new int[]{7, 0}, new int[]{7, 5}, new int[]{8, 0}, new int[]{8, 6});

    private CudaArchitectures() {}

    /** True when some compiled architecture has the device's major version and a minor version <= the device's. */
    public static boolean canRun(int major, int minor) {
        return COMPILED.stream().anyMatch(a -> a[0] == major && a[1] <= minor);
    }

    /** The message a job stops with on an unsupported device. */
    public static String refusal(int index, String name, int major, int minor) {
        return "GPU " + index + " (" + name + ") has compute capability " + major + "." + minor
                + ", which ND4J's CUDA 11.6 build cannot run (it has kernels for sm_37, 50, 52, 60, 61, 70, 75, 80, 86"
                + " and no PTX: V100, T4, A10, A100, RTX 30xx/40xx class GPUs work; H100/H200 and newer do not)."
                + " Use the CPU backend (build without -Pgpu) or a supported GPU.";
    }
}
