package dev.medseg.job.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class PeerBenchmarkTest {
    static final BenchSettings LLM_TRAIN =
            new BenchSettings(BenchModel.LLM_TRANSUNET, BenchSettings.Mode.TRAIN_STEP, 2, 256, 9, 3, 1, false);
    static final ProcStats.LoadAverage LOAD = new ProcStats.LoadAverage(2.5, 2.0, 1.5);

    @Test
    void argumentsCarryTheSameModelBatchSizeAndSteps() {
        assertEquals(List.of("--img", "256", "--batch", "2", "--steps", "3", "--threads", "2", "--classes", "9",
                "--llm-dim", "4096", "--llm-ffn", "11008", "--llm-heads", "32"), PeerBenchmark.arguments(LLM_TRAIN, 2));
        var fwd = new BenchSettings(BenchModel.TRANSUNET, BenchSettings.Mode.FORWARD, 1, 224, 2, 5, 0, false);
        assertEquals(List.of("--img", "224", "--batch", "1", "--steps", "5", "--threads", "1", "--classes", "2",
                "--forward-only"), PeerBenchmark.arguments(fwd, 1));
        var tiny = new BenchSettings(BenchModel.TRANSUNET, BenchSettings.Mode.TRAIN_STEP, 2, 64, 9, 1, 1, true);
        assertEquals(List.of("--hidden", "32", "--layers", "2", "--heads", "4", "--mlp", "64"),
                PeerBenchmark.arguments(tiny, 2).subList(10, 18));
    }

    @Test
    void peerOutputBecomesFiguresOfOurForm() {
        List<String> stdout = List.of("some warning",
                "{\"peer\": \"TransUNet(official, torch 1.13.0a0)\", \"mode\": \"train-step\", \"img\": 256, \"batch\": 2, "
                        + "\"threads\": 2, \"llm_dim\": 4096, \"params_total\": 314000000, \"params_trainable\": 111600000, "
                        + "\"sec_per_step_median\": 9.0, \"images_per_s\": 0.222, \"all\": [9.5, 9.0, 8.7]}",
                "{\"peak_rss_kb\": 4194304}");
        List<BenchLine> seen = new ArrayList<>();
        List<BenchLine> f = PeerBenchmark.figures(LLM_TRAIN, stdout, LOAD, LOAD, Map.of("GOMP_SPINCOUNT", "10000"), seen::add);
        assertEquals(f, seen);
        assertEquals(List.of("peer.train_step.llm-transunet.seconds", "peer.train_step.llm-transunet.images_per_s",
                "peer.train_step.llm-transunet.gflops", "peer.train_step.llm-transunet.peak_rss"),
                f.stream().map(BenchLine::name).toList());
        assertEquals(9.0, f.get(0).value(), 0);
        assertEquals(2 / 9.0, f.get(1).value(), 1e-12);
        assertEquals(ModelFlops.of(BenchModel.LLM_TRANSUNET.config(256, 9, false)).trainGflop() * 2 / 9.0, f.get(2).value(), 1e-9);
        assertEquals(4096.0, f.get(3).value(), 0); // 4 GiB in MiB
        assertEquals("cross-entropy", f.get(0).config().get("loss"));
        assertEquals(List.of(2.5, 2.0, 1.5), f.get(0).config().get("load_after"));
        assertEquals(Map.of("GOMP_SPINCOUNT", "10000"), f.get(0).config().get("native_env"));
        // every line parses back as a bench line
        for (BenchLine l : f) assertEquals(l.name(), BenchLine.parse(l.toJson()).name());
    }

    @Test
    void thePeersBlockIsLabelledFp32AndRatiosSayWhichStorageWasOurs() {
        var half = new BenchSettings(BenchModel.LLM_TRANSUNET, BenchSettings.Mode.FORWARD, 2, 256, 9, 3, 1, false,
                dev.medseg.model.WeightStorage.FLOAT16);
        List<BenchLine> peer = PeerBenchmark.figures(half, List.of("{\"sec_per_step_median\": 2.0}", "{\"peak_rss_kb\": 2048}"),
                LOAD, LOAD, Map.of(), l -> { });
        assertEquals("float32", peer.get(0).config().get("llm_storage"));
        List<BenchLine> ours = List.of(new BenchLine("forward.llm-transunet.seconds", 1.5, "s", half.config()));
        assertEquals("float16", PeerBenchmark.ratios(ours, peer, l -> { }).get(0).config().get("llm_storage"));
    }

    @Test
    void peerOutputWithoutAResultIsAnError() {
        var e = assertThrows(BenchException.class, () -> PeerBenchmark.figures(LLM_TRAIN,
                List.of("Traceback (most recent call last):", "{\"peak_rss_kb\": 1}"), LOAD, LOAD, Map.of(), l -> { }));
        assertTrue(e.getMessage().startsWith("peer printed no result line"), e.getMessage());
        var e2 = assertThrows(BenchException.class, () -> PeerBenchmark.figures(LLM_TRAIN,
                List.of("{\"sec_per_step_median\": 0}"), LOAD, LOAD, Map.of(), l -> { }));
        assertEquals("peer reported a step time of 0.0 s", e2.getMessage());
        assertThrows(BenchException.class, () -> PeerBenchmark.figures(LLM_TRAIN, List.of("{\"sec_per"), LOAD, LOAD, Map.of(), l -> { }));
    }

    @Test
    void ratiosAreOursOverPeerForFiguresBothHave() {
        Map<String, Object> c = Map.of("model", "llm-transunet", "load_after", List.of(3.0, 2.0, 1.0));
        List<BenchLine> ours = List.of(new BenchLine("train_step.llm-transunet.seconds", 6.0, "s/step (median)", c),
                new BenchLine("train_step.llm-transunet.peak_rss", 3000, "MiB", c),
                new BenchLine("train_step.llm-transunet.only_ours", 1, "x", c));
        List<BenchLine> peer = List.of(new BenchLine("peer.train_step.llm-transunet.seconds", 8.0, "s/step (median)", c),
                new BenchLine("peer.train_step.llm-transunet.peak_rss", 4000, "MiB", c));
        List<BenchLine> r = PeerBenchmark.ratios(ours, peer, l -> { });
        assertEquals(2, r.size());
        assertEquals("ratio.train_step.llm-transunet.seconds", r.get(0).name());
        assertEquals(0.75, r.get(0).value(), 0);
        assertEquals("ours/peer", r.get(0).unit());
        assertEquals(6.0, r.get(0).config().get("ours"));
        assertEquals(8.0, r.get(0).config().get("peer"));
        assertEquals("<= 0.8", r.get(0).config().get("target"));
        assertEquals(0.75, r.get(1).value(), 0);
        assertEquals("<= 1", r.get(1).config().get("target"));
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(5.0, ModelBenchmark.median(new double[]{9, 1, 5}), 0);
        assertEquals(4.0, ModelBenchmark.median(new double[]{6, 2, 3, 5}), 0);
        assertThrows(IllegalArgumentException.class, () -> ModelBenchmark.median(new double[0]));
    }
}
