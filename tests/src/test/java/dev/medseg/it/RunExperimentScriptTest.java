package dev.medseg.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code submit/run-experiment.sh} end to end, as a user runs it: generated ISIC-2017-layout data under
 * RAW_ROOT/isic2017, the quickstart experiment config, prep → train → evaluate → comparison table; then the same
 * command again, which must reuse the prepared data and the finished run instead of redoing them.
 */
class RunExperimentScriptTest {
    @TempDir static Path dir;

    /** A smaller model and one short epoch: the test checks the script's wiring, not learning. */
    static final List<String> OVERRIDES = List.of("model.llm.enabled=false", "train.epochs=1",
            "train.batchSizePerWorker=4", "train.averagingFrequency=2", "train.validateEvery=0",
            "train.checkpointEvery=0");

    @BeforeAll
    static void built() {
        String why = ChildJvm.notPackaged();
        assumeTrue(why == null, why);
    }

    static String runScript(Path raw, Path work, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", Repo.root().resolve("submit/run-experiment.sh").toString(),
                Repo.root().resolve("conf/quickstart/isic2017.conf").toString(), raw.toString(), work.toString()));
        cmd.addAll(OVERRIDES);
        Map<String, String> env = Map.of("SPARK_LOCAL_IP", "127.0.0.1", "OMP_NUM_THREADS", "1",
                "MEDSEG_JAVA_OPTS", "-Xmx1g -Dorg.bytedeco.javacpp.maxbytes=2G -Dorg.bytedeco.javacpp.maxphysicalbytes=4G");
        int code = ChildJvm.run(cmd, env, log, Duration.ofMinutes(8));
        String out = Files.readString(log);
        assertEquals(0, code, "run-experiment.sh failed:\n" + ChildJvm.tail(log));
        return out;
    }

    @Test
    void preparesTrainsEvaluatesAndCollectsTheTableThenReusesFinishedWork() throws Exception {
        Path raw = dir.resolve("raw with space");
        TrainRuns.cli("synth", "--layout", "isic2017", "--output", raw.resolve("isic2017").toString(), "--cases", "24",
                "--size", "64");
        Path work = dir.resolve("work");

        String first = runScript(raw, work, dir.resolve("first.log"));
        Path run = work.resolve("runs/isic2017");
        assertTrue(first.contains("== prep isic2017"), first);
        assertTrue(Files.isDirectory(work.resolve("prep/isic2017/slices")), "no slices under " + work);
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/final.safetensors")), "no final checkpoint in " + run);
        assertTrue(Files.isDirectory(run.resolve("case_metrics")), "evaluate wrote no case_metrics in " + run);
        // The comparison table (paper layout, Table 1 for a 2-D dataset) names the run and its dataset.
        String table = first.substring(first.indexOf("== comparison"));
        assertTrue(table.contains("isic2017"), table);
        assertTrue(table.toLowerCase().contains("dice"), table);

        long trained = Files.getLastModifiedTime(run.resolve("checkpoints/final.safetensors")).toMillis();
        String second = runScript(raw, work, dir.resolve("second.log"));
        assertFalse(second.contains("== prep isic2017"), "prepared data was not reused:\n" + second);
        assertTrue(second.contains("already trained: " + run), second);
        assertEquals(trained, Files.getLastModifiedTime(run.resolve("checkpoints/final.safetensors")).toMillis(),
                "the finished run was trained again");
        assertTrue(second.contains("== comparison"), second);
    }
}
