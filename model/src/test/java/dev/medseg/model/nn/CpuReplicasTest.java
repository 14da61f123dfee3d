package dev.medseg.model.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.*;

class CpuReplicasTest {
    /** {libnd4j's thread limit, this thread's OpenMP limit, on a replica thread} as a task sees them. */
    private static Callable<int[]> limits() {
        return () -> new int[]{Nd4j.getEnvironment().maxMasterThreads(),
                NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads(), CpuReplicas.onReplicaThread() ? 1 : 0};
    }

    @Test
    void replicasShareTheThreadLimitAndTheLimitsComeBack() {
        int limit = Nd4j.getEnvironment().maxThreads(), master = Nd4j.getEnvironment().maxMasterThreads();
        int omp = NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
        for (int n : new int[]{1, 2, limit + 1}) {
            List<Callable<int[]>> tasks = new ArrayList<>();
            for (int i = 0; i < n; i++) tasks.add(limits());
            int share = Math.max(1, limit / n);
            for (int[] seen : CpuReplicas.run(tasks)) {
                assertArrayEquals(new int[]{Math.min(share, master), share, 1}, seen, n + " replicas of a limit of " + limit);
            }
            assertEquals(master, Nd4j.getEnvironment().maxMasterThreads(), "libnd4j's limit is back");
            assertEquals(omp, NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads(), "the caller's too");
            assertFalse(CpuReplicas.onReplicaThread());
        }
    }

    @Test
    void aStepSplitsItsBatchEvenlyAndAnEvalBatchBySample() {
        CpuReplicas.setCount(4);
        try {
            assertEquals(4, CpuReplicas.forTraining(8));
            assertEquals(3, CpuReplicas.forTraining(6));
            assertEquals(1, CpuReplicas.forTraining(5)); // no even split: one pass
            assertEquals(1, CpuReplicas.forTraining(1));
            assertEquals(3, CpuReplicas.forBatch(3));
            assertEquals(4, CpuReplicas.forBatch(9));
        } finally {
            CpuReplicas.setCount(null);
        }
    }

    @Test
    void theReplicaSettingIsAutoOrACount() {
        assertEquals(0, CpuReplicas.parse(null));
        assertEquals(0, CpuReplicas.parse("auto"));
        assertEquals(3, CpuReplicas.parse(" 3 "));
        var e = assertThrows(IllegalArgumentException.class, () -> CpuReplicas.parse("0"));
        assertTrue(e.getMessage().contains("medseg.cpuReplicas"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CpuReplicas.parse("two"));
    }
}
