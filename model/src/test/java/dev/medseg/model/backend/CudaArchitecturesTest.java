package dev.medseg.model.backend;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class CudaArchitecturesTest {
    @Test
    void compiledArchitecturesAndTheirSameMajorSuccessorsRun() {
        assertTrue(CudaArchitectures.canRun(7, 0));   // V100
        assertTrue(CudaArchitectures.canRun(7, 5));   // T4
        assertTrue(CudaArchitectures.canRun(8, 0));   // A100
        assertTrue(CudaArchitectures.canRun(8, 6));   // A10, RTX 30xx
        assertTrue(CudaArchitectures.canRun(8, 9));   // L4, RTX 40xx: sm_86 cubins are binary compatible
        assertTrue(CudaArchitectures.canRun(3, 7));   // K80
    }

    @Test
    void hopperAndOlderThanKeplerAreRefused() {
        assertFalse(CudaArchitectures.canRun(9, 0));  // H100, H200
        assertFalse(CudaArchitectures.canRun(10, 0)); // Blackwell
        assertFalse(CudaArchitectures.canRun(3, 5));  // K40: no sm_35 kernels
        String msg = CudaArchitectures.refusal(1, "NVIDIA H100", 9, 0);
        assertTrue(msg.contains("GPU 1 (NVIDIA H100)") && msg.contains("9.0") && msg.contains("CPU backend"), msg);
    }

    @Test
    void cpuDeviceIsNeverRefused() {
        assertNull(new BackendInfo.Device(0, "cpu", 0, 0, 0).unsupportedReason());
        assertNotNull(new BackendInfo.Device(0, "cuda:0", 9, 0, 0).unsupportedReason());
    }
}
