package dev.medseg.it;

import dev.medseg.job.cli.UserError;
import dev.medseg.job.evaluate.TrainedRun;
import dev.medseg.job.train.RunDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code medseg train} of an LLM-TransUNet whose executor (the driver JVM, in local mode) has less ND4J off-heap
 * memory ({@code -Dorg.bytedeco.javacpp.maxbytes}) than the frozen block needs: the run must stop at the first
 * task, before any training step, saying how much the block needs and which setting to raise, and leave no run
 * folder that evaluate could take for a trained run.
 */
class ExecutorOffHeapRefusalTest {
    /** A LLaMA-shaped block of dim 768, 12 heads, FFN 3072: 37.7 MB in fp32. */
    static final int DIM = 768;
    static final int HEADS = 12;
    static final int FFN = 3072;
    /** Below the block, above what ND4J holds before the block is loaded. */
    static final long MAX_BYTES = 24L << 20;
    /** JVM and Spark start, data checks and graph setup take ~25 s on a loaded 2-core machine; training never starts. */
    static final Duration LIMIT = Duration.ofSeconds(150);

    @TempDir static Path dir;

    @AfterAll
    static void stopSpark() {
        TrainRuns.stopSpark();
    }

    @Test
    void tooLittleOffHeapForTheFrozenBlockFailsFastAndLeavesNoRun() throws Exception {
        String why = ChildJvm.notPackaged();
        assumeTrue(why == null, why);
        Path data = TrainRuns.prepareIsic(dir, 8);
        Path block = dir.resolve("block ü.safetensors");
        TrainRuns.cli("llm", "random", "--dim", Integer.toString(DIM), "--heads", Integer.toString(HEADS), "--kv-heads",
                Integer.toString(HEADS), "--ffn", Integer.toString(FFN), "--output", block.toString());
        // attention wq, wk, wv, wo (dim x dim each, no grouped-query here), SwiGLU w1, w2, w3, two RMSNorm weights
        long needed = 4L * (4L * DIM * DIM + 3L * FFN * DIM + 2L * DIM);
        assertTrue(needed > MAX_BYTES && Files.size(block) >= needed, "the block must exceed the limit: " + needed);

        Path run = dir.resolve("run");
        List<String> recipe = new ArrayList<>(StandaloneClusterTest.RECIPE.stream()
                .filter(kv -> !kv.startsWith("model.llm.") && !kv.startsWith("train.workers=")).toList());
        recipe.addAll(List.of("model.llm.enabled=true", "model.llm.dim=" + DIM, "model.llm.heads=" + HEADS,
                "model.llm.kvHeads=" + HEADS, "model.llm.ffnDim=" + FFN, "model.llm.checkpoint=" + block,
                "train.workers=1"));
        List<String> cmd = ChildJvm.java(List.of("-Xmx1g", "-Dorg.bytedeco.javacpp.maxbytes=" + MAX_BYTES,
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=3G", "-Dspark.master=local[1]"), "dev.medseg.job.cli.Medseg");
        cmd.addAll(TrainRuns.trainArgs(data, run, recipe));
        Path log = dir.resolve("train.log");

        long t0 = System.nanoTime();
        int code = ChildJvm.run(cmd, Map.of("OMP_NUM_THREADS", "1"), log, LIMIT);
        double seconds = (System.nanoTime() - t0) / 1e9;
        String text = Files.readString(log);
        assertEquals(2, code, "a refusal is the user's to fix: exit 2\n" + ChildJvm.tail(log));
        assertTrue(text.contains("medseg train: an executor refused to train: the frozen LLM block needs"),
                "not reported as one line\n" + ChildJvm.tail(log));
        String needs = String.format(Locale.ROOT, "the frozen LLM block needs %.2f GB of off-heap memory", needed / 1e9);
        String limit = String.format(Locale.ROOT, "org.bytedeco.javacpp.maxbytes = %.2f GB", MAX_BYTES / 1e9);
        assertTrue(text.contains(needs), "no '" + needs + "' in\n" + ChildJvm.tail(log));
        assertTrue(text.contains(limit) && text.contains("Raise -Dorg.bytedeco.javacpp.maxbytes"), ChildJvm.tail(log));
        assertFalse(text.contains("round 1/"), "a training round ran before the refusal\n" + ChildJvm.tail(log));

        // Nothing that looks like a run: no config, no checkpoint, so evaluate refuses the folder.
        assertFalse(Files.exists(run.resolve(RunDirectory.CONFIG)), "the refused run wrote " + RunDirectory.CONFIG);
        assertFalse(Files.exists(run.resolve(RunDirectory.CHECKPOINTS)), "the refused run wrote checkpoints");
        var e = assertThrows(UserError.class, () -> TrainedRun.open(TrainRuns.spark(), run.toString(), "final", List.of()));
        assertTrue(e.getMessage().contains(run.toString()), e.getMessage());
        System.out.printf("executor off-heap refusal: exit %d after %.1f s (block %.1f MB, limit %d MB)%n", code, seconds,
                needed / 1e6, MAX_BYTES >> 20);
    }
}
