package dev.medseg.job.train;

import dev.medseg.job.tables.TestSpark;
import dev.medseg.model.ModelConfig;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** An executor too small for the frozen block fails fast and says how much it needs; a loaded broadcast is let go. */
class ExecutorMemoryTest {
    @Test
    void theBroadcastsCachedValueIsFoundAndClearedAndCanBeReadAgain() throws Exception {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
        float[] big = new float[1 << 16];
        big[7] = 3f;
        Broadcast<float[]> b = jsc.broadcast(big);
        try {
            // A task's copy, as an executor deserializes it: its first value() reads the blocks and keeps the value.
            var bytes = new ByteArrayOutputStream();
            try (var out = new ObjectOutputStream(bytes)) {
                out.writeObject(b);
            }
            @SuppressWarnings("unchecked")
            Broadcast<float[]> task = (Broadcast<float[]>) new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray())).readObject();
            float[] v = task.value();
            assertEquals(3f, v[7]);
            var ref = ExecutorModels.cachedValue(task);
            assertNotNull(ref, "this Spark's TorrentBroadcast keeps its value in a field named _value: a Spark upgrade"
                    + " that renames it makes every executor hold a dead state through each round");
            assertSame(v, ref.get());
            ref.clear();
            assertEquals(3f, task.value()[7], "a cleared value is read again from the blocks");
        } finally {
            b.destroy();
        }
    }

    /** The removal a task asked for from inside it (the task's JVM is this one: local mode). */
    static volatile java.util.concurrent.Future<Integer> removal;

    @Test
    void aBroadcastsPiecesAreDroppedOffTheTasksThreadEvenWhileTheTaskHoldsAReadLockOnThem() throws Exception {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
        // more than one piece at this context's broadcast block size
        long blockSize = jsc.sc().conf().getSizeAsBytes("spark.broadcast.blockSize", "4m");
        float[] big = new float[(int) (blockSize / Float.BYTES * 2 + 5)];
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < big.length; i++) big[i] = (float) r.nextDouble(); // incompressible, if broadcasts compress
        Broadcast<float[]> b = jsc.broadcast(big);
        try {
            var bm = org.apache.spark.SparkEnv.get().blockManager();
            var piece2 = new org.apache.spark.storage.BroadcastBlockId(b.id(), "piece2");
            assertTrue(bm.getStatus(piece2).isDefined(), "three pieces");
            ExecutorModels.dropBroadcastPieces(b); // here the driver: its pieces serve every executor, they stay
            assertTrue(bm.getStatus(piece2).isDefined());

            // A task that found a piece in its executor's block manager, as TorrentBroadcast reads a local piece: it
            // holds a read lock until it completes. Removing the pieces on its own thread would wait for itself.
            long id = b.id();
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> jsc.parallelize(List.of(1), 1).foreach(x -> {
                var local = org.apache.spark.SparkEnv.get().blockManager();
                var p0 = new org.apache.spark.storage.BroadcastBlockId(id, "piece0");
                assertTrue(local.getLocalBytes(p0).isDefined());
                org.apache.spark.TaskContext.get().addTaskCompletionListener(
                        (org.apache.spark.util.TaskCompletionListener) c -> local.releaseLock(p0, scala.Option.empty()));
                removal = ExecutorModels.dropPieces(local, id);
                Thread.sleep(300);
                assertFalse(removal.isDone(), "the removal waits for this task's read lock");
            }));
            assertEquals(3, removal.get(30, java.util.concurrent.TimeUnit.SECONDS), "all three, once the task is done");
            for (int i = 0; i < 3; i++) {
                assertFalse(bm.getStatus(new org.apache.spark.storage.BroadcastBlockId(b.id(), "piece" + i)).isDefined());
            }
            assertEquals(0, ExecutorModels.dropPieces(bm, b.id()).get(30, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            b.destroy();
        }
    }

    @Test
    void llama7bBlockSizeAndRefusal() {
        long bytes = ExecutorModels.blockBytes(ModelConfig.Llm.llama7b());
        assertEquals(4L * 202_383_360, bytes); // model-spec §4.2: 202,383,360 parameters
        // half-precision storage: the seven matrices at 2 bytes, the two 4096-value norms still at 4
        assertEquals(2L * (202_383_360 - 2 * 4096) + 4L * 2 * 4096,
                ExecutorModels.blockBytes(ModelConfig.Llm.llama7b().withStorage(dev.medseg.model.WeightStorage.FLOAT16)));
        var e = assertThrows(IllegalStateException.class,
                () -> ExecutorModels.requireOffHeap(bytes, 1_000_000_000L, 500_000_000L));
        assertTrue(e.getMessage().contains("needs 0.81 GB") && e.getMessage().contains("0.50 GB left")
                && e.getMessage().contains("maxbytes"), e.getMessage());
        assertDoesNotThrow(() -> ExecutorModels.requireOffHeap(bytes, 8_000_000_000L, 1_000_000_000L));
        assertDoesNotThrow(() -> ExecutorModels.requireOffHeap(bytes, 0, 0));
    }

    @Test
    void aRefusalReportedByATaskFailureBecomesOneUserFacingLine() {
        var refusal = assertThrows(IllegalStateException.class,
                () -> ExecutorModels.requireOffHeap(810_000_000L, 500_000_000L, 0));
        // Spark's report of a failed task: its own words, then the executor's exception and stack as text.
        var spark = new RuntimeException("Job aborted due to stage failure: Task 0 in stage 1.0 failed 4 times, most "
                + "recent failure: Lost task 0.3 (TID 3) (10.0.0.7 executor 2): java.lang.IllegalStateException: "
                + refusal.getMessage() + "\n\tat dev.medseg.job.train.ExecutorModels.requireOffHeap(ExecutorModels.java:1)\n");
        RuntimeException shown = ExecutorModels.explainTaskFailure(spark);
        assertInstanceOf(dev.medseg.job.cli.UserError.class, shown);
        assertEquals("an executor refused to train: " + refusal.getMessage(), shown.getMessage());
        assertSame(spark, shown.getCause());
        var other = new RuntimeException("Job aborted: java.io.IOException: disk full");
        assertSame(other, assertThrows(RuntimeException.class, () -> ExecutorModels.explainTaskFailure(other)));
        // Spark's own exception type is checked: it is rethrown unchanged, not wrapped.
        var checked = new Exception("Job aborted: lost executor 1");
        assertSame(checked, assertThrows(Exception.class, () -> ExecutorModels.explainTaskFailure(checked)));
    }
}
