package dev.medseg.job.train;

import org.apache.spark.TaskContext;

/**
 * Fault injection for the retry tests. When the driver sets the local property {@value #FAIL_TASK} to
 * {@code WORKER:STEP} (SparkContext.setLocalProperty), the first attempt of that worker's task for the round
 * starting at STEP throws. When it sets {@value #LOSE_LEFT_STATE} to {@code WORKER:STEP}, the first task of the round
 * starting at STEP to fetch WORKER's state left by the previous round ({@code train.exchange = peers}) removes it
 * first, once per JVM, as if its executor had been lost. Inert unless set.
 */
public final class TestHooks {
    public static final String FAIL_TASK = "medseg.test.failTask";
    public static final String LOSE_LEFT_STATE = "medseg.test.loseLeftState";
    private static final java.util.Set<String> lost = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private TestHooks() {}

    static void maybeFail(int worker, long firstStep) {
        TaskContext tc = TaskContext.get();
        if (tc == null || tc.attemptNumber() > 0) return;
        String v = tc.getLocalProperty(FAIL_TASK);
        if (v != null && v.equals(worker + ":" + firstStep)) {
            throw new IllegalStateException("injected failure (" + FAIL_TASK + "=" + v + ")");
        }
    }

    /** Whether to lose {@code worker}'s left state before a task of the round starting at {@code firstStep} reads it. */
    static boolean loseLeftState(int worker, long firstStep) {
        TaskContext tc = TaskContext.get();
        String v = tc == null ? null : tc.getLocalProperty(LOSE_LEFT_STATE);
        return v != null && v.equals(worker + ":" + firstStep) && lost.add(v);
    }
}
