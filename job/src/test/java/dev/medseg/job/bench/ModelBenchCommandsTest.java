package dev.medseg.job.bench;

import dev.medseg.job.cli.Medseg;
import dev.medseg.model.WeightStorage;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Argument handling of the model benchmarks (no benchmark is run). */
class ModelBenchCommandsTest {
    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        CommandLine cl = Medseg.commandLine();
        var out = new StringWriter();
        var err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    static ModelBenchOptions parse(String... args) {
        ModelBenchOptions o = new ModelBenchOptions();
        new CommandLine(o).parseArgs(args);
        return o;
    }

    @Test
    void benchListsTheModelSubcommandsBesidePrep() {
        var bench = Medseg.commandLine().getSubcommands().get("bench");
        assertEquals(List.of("prep", "hd95", "train-step", "forward", "peer", "storage", "averaging"), List.copyOf(bench.getSubcommands().keySet()));
        Run r = run("bench");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("missing benchmark: choose one of prep, hd95, train-step, forward, peer, storage, averaging"), r.err());
    }

    @Test
    void defaultsAreBothModelsAt256Batch2ThreeStepsOneWarmup() {
        List<BenchSettings> s = parse().settings(BenchSettings.Mode.TRAIN_STEP);
        assertEquals(List.of(BenchModel.TRANSUNET, BenchModel.LLM_TRANSUNET), s.stream().map(BenchSettings::model).toList());
        BenchSettings a = s.get(0);
        assertEquals(List.of(2, 256, 9, 3, 1, false), List.of(a.batch(), a.size(), a.classes(), a.steps(), a.warmup(), a.tiny()));
        assertEquals("train_step.transunet", a.prefix());
        assertEquals(4096, s.get(1).model().config(256, 9, false).llm().orElseThrow().dim());
    }

    @Test
    void tinyMeans64PixelsOfTheTestModelUnlessASizeIsGiven() {
        BenchSettings t = parse("--tiny", "--model", "llm-transunet").settings(BenchSettings.Mode.FORWARD).get(0);
        assertEquals(64, t.size());
        assertTrue(t.tiny());
        assertEquals(64, t.model().config(t.size(), 9, true).llm().orElseThrow().dim());
        assertEquals(128, parse("--tiny", "--size", "128").settings(BenchSettings.Mode.FORWARD).get(0).size());
    }

    @Test
    void childArgumentsReproduceTheSettingsInProcess() {
        BenchSettings s = new BenchSettings(BenchModel.LLM_TRANSUNET, BenchSettings.Mode.FORWARD, 4, 128, 2, 5, 2, true);
        List<String> a = ModelBenchOptions.childArguments(s);
        assertEquals(List.of("bench", "forward", "--model", "llm-transunet", "--batch", "4", "--size", "128", "--classes",
                "2", "--steps", "5", "--warmup", "2", "--tiny", "--in-process"), a);
        ModelBenchOptions back = parse(a.subList(2, a.size()).toArray(String[]::new));
        assertTrue(back.inProcess);
        assertEquals(List.of(s), back.settings(BenchSettings.Mode.FORWARD));
    }

    @Test
    void llmStorageReachesTheChildTheModelAndTheFigures() {
        ModelBenchOptions o = parse("--llm-storage", "float16", "--tiny");
        List<BenchSettings> all = o.settings(BenchSettings.Mode.FORWARD);
        BenchSettings llm = all.get(1);
        assertEquals(BenchModel.LLM_TRANSUNET, llm.model());
        assertEquals(WeightStorage.FLOAT16, llm.modelConfig().llm().orElseThrow().storage());
        assertEquals("float16", llm.config().get("llm_storage"));
        assertFalse(all.get(0).config().containsKey("llm_storage"), "TransUNet has no LLM block");
        List<String> a = ModelBenchOptions.childArguments(llm);
        assertEquals(List.of("--llm-storage", "float16", "--in-process"), a.subList(a.size() - 3, a.size()));
        assertEquals(List.of(llm), parse(a.subList(2, a.size()).toArray(String[]::new)).settings(BenchSettings.Mode.FORWARD));
        // the train job of bench averaging gets the same block through ModelOverrides
        assertTrue(ModelOverrides.of(llm.modelConfig()).contains("model.llm.storage=float16"));
        Run r = run("bench", "forward", "--llm-storage", "fp8");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--llm-storage: unknown LLM weight storage 'fp8'"), r.err());
    }

    @Test
    void storageComparesHalfStorageLogitsWithFp32Storage() {
        Run r = run("bench", "storage", "--tiny", "--size", "32", "--batch", "1", "--classes", "3");
        assertEquals(0, r.exit(), r.err());
        List<BenchLine> lines = r.out().lines().filter(l -> l.startsWith("{")).map(BenchLine::parse).toList();
        assertEquals(8, lines.size(), r.out());
        for (String s : List.of("float16", "bfloat16")) {
            String p = "storage.llm-transunet." + s + ".";
            double max = value(lines, p + "logit_max_abs_diff"), mean = value(lines, p + "logit_mean_abs_diff");
            // fp32 draws rounded to half precision: the logits move, a little
            assertTrue(max > 0 && mean > 0 && mean <= max, s + ": " + max + ", " + mean);
            assertTrue(max < 0.1 * (Double) lines.get(0).config().get("mean_abs_logit") + 1e-3, s + ": " + max);
            double agree = value(lines, p + "argmax_agreement");
            assertTrue(agree > 0.9 && agree <= 1, s + ": " + agree);
        }
        // bfloat16 keeps 8 mantissa bits to float16's 11: it moves the block's output more (both by well under 1%)
        double f16 = value(lines, "storage.llm-transunet.float16.block_output_rel_diff");
        double bf16 = value(lines, "storage.llm-transunet.bfloat16.block_output_rel_diff");
        assertTrue(f16 > 0 && f16 < bf16 && bf16 < 0.01, f16 + ", " + bf16);
        assertEquals(2, run("bench", "storage", "--size", "30").exit());
    }

    private static double value(List<BenchLine> lines, String name) {
        return lines.stream().filter(l -> l.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError(name)).value();
    }

    @Test
    void liveProfileIsATrainStepOptionPassedToTheChild() {
        ModelBenchOptions o = parse("--live-profile", "7", "--model", "transunet");
        BenchSettings s = o.settings(BenchSettings.Mode.TRAIN_STEP).get(0);
        List<String> a = o.childArgumentsOf(s);
        assertEquals(List.of("--live-profile", "7", "--in-process"), a.subList(a.size() - 3, a.size()));
        assertEquals(7, parse(a.subList(2, a.size()).toArray(String[]::new)).liveProfile);
        Run r = run("bench", "forward", "--live-profile", "5");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--live-profile is for train-step"), r.err());
    }

    @Test
    void childCommandIsThisJavaWithItsFlagsAndClassPath() {
        List<String> c = ChildJvm.command(List.of("bench", "forward"));
        assertTrue(c.get(0).endsWith("java"), c.get(0));
        int cp = c.indexOf("-cp");
        assertEquals(System.getProperty("java.class.path"), c.get(cp + 1));
        assertEquals(List.of(ChildJvm.MAIN, "bench", "forward"), c.subList(cp + 2, c.size()));
    }

    @Test
    void badArgumentsAreUsageErrorsNamingTheOption() {
        Run r1 = run("bench", "train-step", "--model", "unet");
        assertEquals(2, r1.exit());
        assertTrue(r1.err().contains("--model: unknown model 'unet' (transunet | llm-transunet | both)"), r1.err());
        Run r2 = run("bench", "forward", "--size", "250");
        assertEquals(2, r2.exit());
        assertTrue(r2.err().contains("--size must be a multiple of 16"), r2.err());
        Run r3 = run("bench", "train-step", "--steps", "0");
        assertEquals(2, r3.exit());
        assertTrue(r3.err().contains("--steps must be in [1, 1000], got 0"), r3.err());
        Run r4 = run("bench", "peer", "--mode", "sideways");
        assertEquals(2, r4.exit());
        assertTrue(r4.err().contains("--mode must be train-step, forward or both"), r4.err());
        Run r5 = run("bench", "peer", "--peer-blas", "mkl");
        assertEquals(2, r5.exit());
        assertTrue(r5.err().contains("--peer-blas must be openmp or system, got 'mkl'"), r5.err());
        assertEquals("", r1.out() + r2.out() + r3.out() + r4.out() + r5.out());
    }

    @Test
    void peerWithoutACheckoutSaysWhatIsMissing(@org.junit.jupiter.api.io.TempDir Path dir) {
        Run r = run("bench", "peer", "--peer-dir", dir.toString(), "--python", "/bin/sh", "--peer-script", "/bin/sh");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("peer not available: no TransUNet checkout at " + dir), r.err());
        Run r2 = run("bench", "peer", "--python", dir.resolve("nope").toString());
        assertTrue(r2.err().contains("no python interpreter at"), r2.err());
    }
}
