package dev.medseg.it;

import dev.medseg.job.cli.Medseg;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The whole pipeline as a user runs it, in process: synth (ISIC-2017-layout lesion phantoms) → prep → train with
 * parameter averaging on 2 local workers → evaluate; a tiny model must reach a high Dice on the test split within
 * a couple of minutes on 2 cores. Once for LLM-TransUNet and once for MedVisionLlama.
 */
class PhantomLearningTest {
    @TempDir static Path dir;
    static Path prep;
    static SparkSession spark;

    /** The quickstart's recipe at 32 px: 2 workers, batch 8 each, Adam + cosine, rot90/flips. */
    static final List<String> RECIPE = List.of("prep.imageSize=32", "model.imageSize=32", "train.epochs=10",
            "train.workers=2", "train.batchSizePerWorker=8", "train.averagingFrequency=4", "train.validateEvery=0",
            "train.checkpointEvery=0", "train.optimizer.lr=0.003");

    record Run(int exit, String out, String err) {}

    static Run medseg(List<String> args) {
        var cl = Medseg.commandLine();
        var out = new StringWriter();
        var err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    static Run medseg(String... args) {
        return medseg(List.of(args));
    }

    @BeforeAll
    static void data() {
        spark = SparkSession.builder().master("local[2]").appName("phantom learning")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        Path raw = dir.resolve("raw");
        prep = dir.resolve("prep");
        Run s = medseg("synth", "--layout", "isic2017", "--output", raw.toString(), "--cases", "120", "--size", "48");
        assertEquals(0, s.exit(), s.err());
        List<String> p = new ArrayList<>(List.of("prep", "--conf", Repo.root().resolve("conf/quickstart/isic2017.conf").toString(),
                "--input", raw.toString(), "--output", prep.toString()));
        p.addAll(RECIPE);
        Run r = medseg(p);
        assertEquals(0, r.exit(), r.err());
    }

    static double trainAndEvaluate(String name, String conf, List<String> model, String... block) {
        Path llm = dir.resolve(name + "-block.safetensors");
        List<String> b = new ArrayList<>(List.of("llm", "random", "--output", llm.toString()));
        b.addAll(List.of(block));
        assertEquals(0, medseg(b).exit());
        Path run = dir.resolve(name);
        List<String> t = new ArrayList<>(List.of("train", "--conf", Repo.root().resolve(conf).toString(),
                "--data", prep.toString(), "--output", run.toString(), "model.llm.checkpoint=" + llm));
        t.addAll(RECIPE);
        t.addAll(model);
        Run tr = medseg(t);
        assertEquals(0, tr.exit(), tr.err());
        Run ev = medseg("evaluate", "--run", run.toString(), "--data", prep.toString(), "--split", "test",
                "--checkpoint", "final", "--overlays", "2");
        assertEquals(0, ev.exit(), ev.err());
        assertTrue(Files.isDirectory(run.resolve("overlays")), "overlays written");
        List<Row> rows = ResultTables.read(spark, ResultTable.CASE_METRICS, List.of(run.toString()))
                .selectExpr("avg(dice)", "count(*)", "count(problem)").collectAsList();
        assertTrue(rows.get(0).getLong(1) > 10, "test cases scored");
        assertEquals(0, rows.get(0).getLong(2), "no problem rows");
        return rows.get(0).getDouble(0);
    }

    @Test
    void llmTransUNetLearnsLesionPhantoms() {
        double dice = trainAndEvaluate("llm-transunet", "conf/quickstart/isic2017.conf", List.of(),
                "--dim", "64", "--heads", "4", "--kv-heads", "4", "--ffn", "172");
        assertTrue(dice > 0.85, "mean test Dice " + dice);
    }

    /** Also the frozen block kept in bfloat16 (model.llm.storage): loaded, trained through and evaluated that way. */
    @Test
    void medVisionLlamaLearnsLesionPhantoms() {
        double dice = trainAndEvaluate("medvisionllama", "conf/quickstart/isic2017.conf", List.of(
                        "model.architecture=medvisionllama", "model.encoder=vit", "model.decoder.skips=0",
                        "model.decoder.batchNorm=false", "model.vit.patchSize=8", "model.mvl.fusionLayers=[1]",
                        "model.llm.kvHeads=2", "model.llm.ffnDim=128", "model.llm.storage=bfloat16"),
                "--dim", "64", "--heads", "4", "--kv-heads", "2", "--ffn", "128");
        assertTrue(dice > 0.8, "mean test Dice " + dice);
    }
}
