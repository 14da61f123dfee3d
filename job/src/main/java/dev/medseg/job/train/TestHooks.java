package dev.medseg.job.train;

import org.apache.spark.TaskContext;

/**
 * Fault injection for the retry tests. When the driver sets the local property {@value #FAIL_TASK} to
 * {@code WORKER:STEP} (SparkContext.setLocalProperty), the first attempt of that worker's task for the round
 * starting at STEP throws. Inert unless set.
 */
public final class TestHooks {
    public static final String FAIL_TASK = "medseg.test.failTask";

    private TestHooks() {}

    static void maybeFail(int worker, long firstStep) {
        TaskContext tc = TaskContext.get();
        if (tc == null || tc.attemptNumber() > 0) return;
        String v = tc.getLocalProperty(FAIL_TASK);
        if (v != null && v.equals(worker + ":" + firstStep)) {
            throw new IllegalStateException("injected failure (" + FAIL_TASK + "=" + v + ")");
        }
    }
}
