package dev.medseg.model.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

class ReplicaGroupTest {
    @Test
    void everyReplicaGetsTheSameSumInReplicaOrder() {
        int n = 3;
        ReplicaGroup group = new ReplicaGroup(n);
        List<Callable<INDArray>> tasks = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            int i = r;
            tasks.add(() -> {
                INDArray x = Nd4j.createFromArray(1f + i, 10f * (i + 1));
                INDArray out = Nd4j.create(DataType.FLOAT, 2);
                group.sum(i, x, out);
                group.sum(i, out, Nd4j.create(DataType.FLOAT, 2)); // a second meeting reuses the group
                return out;
            });
        }
        List<INDArray> outs = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> CpuReplicas.run(tasks));
        for (INDArray o : outs) assertArrayEquals(new float[]{6, 60}, o.toFloatVector(), 0f);
        assertNull(group.failure());
    }

    @Test
    void aFailedReplicaReleasesTheOthersWithItsCauseInsteadOfLeavingThemWaiting() {
        ReplicaGroup group = new ReplicaGroup(2);
        RuntimeException cause = new RuntimeException("replica 1 broke");
        AtomicReference<Throwable> seenByZero = new AtomicReference<>();
        List<Callable<Integer>> tasks = List.of(() -> {
            try {
                group.sum(0, Nd4j.ones(DataType.FLOAT, 2), Nd4j.create(DataType.FLOAT, 2)); // waits for replica 1
            } catch (IllegalStateException e) {
                seenByZero.set(e);
                throw e;
            }
            return 0;
        }, () -> {
            Thread.sleep(200);
            group.abort(cause);
            throw cause;
        });
        var e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(RuntimeException.class, () -> CpuReplicas.run(tasks)));
        assertNotNull(e);
        assertSame(cause, group.failure());
        assertNotNull(seenByZero.get(), "replica 0 was released");
        assertTrue(seenByZero.get().getMessage().contains("another replica of the step failed")
                && seenByZero.get().getMessage().contains("replica 1 broke"), seenByZero.get().getMessage());
        // a replica arriving after the abort is refused at once too
        var late = assertThrows(IllegalStateException.class,
                () -> group.sum(1, Nd4j.ones(DataType.FLOAT, 2), Nd4j.create(DataType.FLOAT, 2)));
        assertSame(cause, late.getCause());
    }

    @Test
    void aReplicaIndexOutsideTheGroupIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ReplicaGroup(0));
        assertThrows(IllegalArgumentException.class, () -> new ReplicaGroup(2).member(2));
    }
}
