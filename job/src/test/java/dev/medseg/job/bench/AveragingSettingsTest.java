package dev.medseg.job.bench;

import dev.medseg.job.config.ConfigLoader;
import dev.medseg.job.train.RunSpec;
import dev.medseg.model.ModelConfig;
import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.train.ModelCheckpoint;
import dev.medseg.model.train.SegmentationTrainer;
import dev.medseg.model.train.TrainState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** Options of {@code bench averaging}, the train config it submits, and the state sizes it reads (no cluster). */
class AveragingSettingsTest {
    @TempDir Path dir;

    static AveragingSettings parse(String... args) {
        AveragingCommand c = new AveragingCommand();
        new CommandLine(c).parseArgs(args);
        return c.settings();
    }

    @Test
    void defaultsAreFullTransUNetBatch2PerWorkerFiveStepsThreeRoundsOneAndTwoWorkers() {
        AveragingSettings s = parse();
        assertEquals(BenchModel.TRANSUNET, s.model());
        assertFalse(s.tiny());
        assertEquals(List.of(256, 9, 2, 5, 3, 1), List.of(s.size(), s.classes(), s.batchPerWorker(), s.averagingFrequency(),
                s.rounds(), s.warmup()));
        assertEquals("sgd", s.optimizer());
        assertEquals(1, s.optimizerSlots());
        assertFalse(s.localSlots(), "the optimizer state is averaged unless asked");
        assertTrue(parse("--local-optimizer-state").localSlots());
        assertEquals("peers", s.exchange(), "train.exchange's default");
        assertEquals(dev.medseg.job.config.ConfigLoader.defaults().getString("train.exchange"), s.exchange());
        assertEquals("driver", parse("--exchange", "driver").exchange());
        assertEquals(List.of(1, 2), s.workers());
        assertEquals(new AveragingSettings.Memory(8, 6, 8), s.memory());
        assertEquals("-Dorg.bytedeco.javacpp.maxbytes=8G -Dorg.bytedeco.javacpp.maxphysicalbytes=15G",
                s.memory().executorJavaCpp());
        assertEquals(120, s.timeoutMinutes());
        assertEquals(ModelConfig.r50ViTB16(9, 256), s.modelConfig());
    }

    @Test
    void tinyMeansTheTestModelAt64PixelsInSmallJvmsUnlessGivenOtherwise() {
        AveragingSettings s = parse("--tiny", "--model", "llm-transunet", "--optimizer", "ADAM", "--executor-heap-gb", "2");
        assertEquals(64, s.size());
        assertEquals(ModelConfig.testing(9, 64, true), s.modelConfig());
        assertEquals(new AveragingSettings.Memory(1, 2, 1), s.memory());
        assertEquals(15, s.timeoutMinutes());
        assertEquals(2, s.optimizerSlots());
        assertEquals(32, parse("--tiny", "--size", "32").size());
    }

    @Test
    void badArgumentsAreUsageErrorsThatSayWhatIsWrong() {
        assertUsage("--workers counts must be ascending without repeats, got [2, 1]", "--workers", "2,1");
        assertUsage("--workers counts must be in [1, 16], got 0", "--workers", "0,1");
        assertUsage("--rounds must be in [2, 100] (more than --warmup 1), got 1", "--rounds", "1");
        assertUsage("--rounds must be in [3, 100] (more than --warmup 2), got 2", "--rounds", "2", "--warmup", "2");
        assertUsage("--optimizer must be sgd or adam, got 'rmsprop'", "--optimizer", "rmsprop");
        assertUsage("--exchange must be driver or peers, got 'ring'", "--exchange", "ring");
        assertUsage("--model: one model per run (transunet or llm-transunet), got 'both'", "--model", "both");
        assertUsage("--model: unknown model 'unet' (transunet | llm-transunet | both)", "--model", "unet");
        assertUsage("--size must be a multiple of 16 in [16, 1024], got 100", "--size", "100");
        assertUsage("--averaging-frequency must be in [1, 1000], got 0", "--averaging-frequency", "0");
        assertUsage("memory sizes must be in [1, 256] GB, got driver heap 0, executor heap 6, executor off-heap 8",
                "--driver-heap-gb", "0");
        var r = ModelBenchCommandsTest.run("bench", "averaging", "--batch", "0");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--batch must be in [1, 64], got 0"), r.err());
    }

    static void assertUsage(String message, String... args) {
        var e = assertThrows(dev.medseg.job.cli.UserError.class, () -> parse(args));
        assertEquals(message, e.getMessage());
    }

    @Test
    void trainOverridesLoadAsTheBenchmarkedModelWithTheRoundRecipe() {
        for (AveragingSettings s : List.of(parse(), parse("--model", "llm-transunet", "--optimizer", "adam"), parse("--tiny"),
                parse("--local-optimizer-state"), parse("--exchange", "driver"))) {
            var config = ConfigLoader.load(Optional.empty(), s.trainOverrides(2));
            RunSpec spec = RunSpec.of(config);
            assertEquals(s.modelConfig(), spec.model(), "the submitted config must train the benchmarked model");
            assertEquals(2, spec.train().workers());
            assertEquals(s.batchPerWorker(), spec.train().batchSizePerWorker());
            assertEquals(5, spec.train().averagingFrequency());
            assertEquals(3, spec.train().maxRounds());
            assertEquals("", spec.train().valSplit(), "no validation");
            assertEquals(0, spec.train().validateEvery());
            assertEquals(0, spec.train().checkpointEvery(), "checkpoints only at the end");
            assertEquals(s.optimizerSlots(), spec.train().optimizer().slots());
            assertEquals(!s.localSlots(), spec.train().averageOptimizerState());
            assertEquals(s.exchange(), spec.train().exchange());
            assertTrue(config.getInt("train.epochs") >= 3 * 5, "epochs must outlast the rounds");
        }
    }

    /**
     * The tiny model of the test config at 32 px, 9 classes, counted by hand from the layer shapes
     * (ResNetV2 width 32 units [1,1,1], ViT 32/2 layers/MLP 64 on 2x2 tokens, decoder [32,16,16,8] with 3 skips).
     */
    static final long TINY_PARAMS = 4_704 + 64 // root conv 7x7x3x32, GroupNorm
            + 19_072 + 95_488 + 379_392 // bottleneck units 32->128, 128->256 (stride 2), 256->512 (stride 2)
            + 16_416 + 128 // patch embedding 1x1 512->32 + bias; positions 4 x 32
            + 2 * 8_544 + 64 // ViT layers (2 LayerNorms, q/k/v/o with bias, MLP 32-64-32); encoder norm
            + 148_480 // conv_more 3x3 32->512 + BatchNorm affine
            + 221_184 + 64 + 9_216 + 64 // block 0: (512+256)->32, 32->32
            + 23_040 + 32 + 2_304 + 32 // block 1: (32+128)->16, 16->16
            + 6_912 + 32 + 2_304 + 32 // block 2: (16+32)->16, 16->16
            + 1_152 + 16 + 576 + 16 // block 3: 16->8, 8->8 (no skip)
            + 648 + 9; // head 3x3 8->9 + bias
    /** BatchNorm running mean and var: (512 + 32+32 + 16+16 + 16+16 + 8+8) channels x 2. */
    static final long TINY_BUFFERS = 2 * 656;

    @Test
    void stateSizeIsReadFromTheCheckpointOfATrainedModel() throws Exception {
        assertEquals(948_529L, TINY_PARAMS);
        var spec = RunSpec.of(ConfigLoader.load(Optional.empty(), parse("--tiny", "--size", "32").trainOverrides(1)));
        var trainer = new SegmentationTrainer(spec.model(), spec.train().loss(), spec.train().optimizer(), 2, 7, null);
        TrainState state = trainer.state();
        assertEquals(TINY_PARAMS, state.params().length, "the hand count must match the graph");
        Path sgd = dir.resolve("sgd.safetensors");
        ModelCheckpoint.write(sgd, trainer.params(), trainer.buffers(), state, Map.of());
        TrainStateSize size = TrainStateSize.ofCheckpoint(sgd);
        assertEquals(new TrainStateSize(TINY_PARAMS, 1, TINY_BUFFERS), size);
        assertEquals(4 * (2 * 948_529L + 1_312), size.broadcastBytes());
        assertEquals(8 * (2 * 948_529L + 1_312), size.resultBytes());
        assertEquals(2 * 4 * 1_898_370L + 2 * 4 * 1_898_370L, new RoundTraffic(size, 2).totalBytes());

        // Adam's two slots, and plain SGD's none (buffers then known by their BatchNorm names)
        float[] p = state.params();
        Path adam = dir.resolve("adam.safetensors");
        ModelCheckpoint.write(adam, trainer.params(), trainer.buffers(),
                new TrainState(3, p, new float[][]{new float[p.length], new float[p.length]}, state.buffers()), Map.of());
        assertEquals(new TrainStateSize(TINY_PARAMS, 2, TINY_BUFFERS), TrainStateSize.ofCheckpoint(adam));
        Path plain = dir.resolve("plain.safetensors");
        ModelCheckpoint.write(plain, trainer.params(), trainer.buffers(), new TrainState(3, p, new float[0][], state.buffers()), Map.of());
        assertEquals(new TrainStateSize(TINY_PARAMS, 0, TINY_BUFFERS), TrainStateSize.ofCheckpoint(plain));
    }

    @Test
    void aFileThatIsNoCheckpointIsNamedInTheError() throws Exception {
        Path junk = Files.write(dir.resolve("junk.safetensors"), new byte[]{1, 2, 3});
        var e = assertThrows(BenchException.class, () -> TrainStateSize.ofCheckpoint(junk));
        assertTrue(e.getMessage().startsWith("cannot read the sizes of checkpoint " + junk), e.getMessage());
        assertInstanceOf(CheckpointFormatException.class, e.getCause());
    }

    @Test
    void theClusterNeedsThePackagedBuild() throws Exception {
        var e = assertThrows(BenchException.class, () -> PackagedBuild.at(dir));
        assertTrue(e.getMessage().contains("runs the packaged jar, but the classes come from " + dir), e.getMessage());
        Path jar = Files.createFile(dir.resolve("medseg-job.jar"));
        var f = assertThrows(BenchException.class, () -> PackagedBuild.at(jar));
        assertEquals(dir + " lacks lib/ or jvm-flags beside medseg-job.jar: run `mvn -B package -DskipTests`", f.getMessage());
        Files.createDirectory(dir.resolve("lib"));
        Files.writeString(dir.resolve("jvm-flags"), "--add-opens=java.base/java.nio=ALL-UNNAMED  -XX:+IgnoreUnrecognizedVMOptions\n");
        PackagedBuild b = PackagedBuild.at(jar);
        assertEquals(List.of("--add-opens=java.base/java.nio=ALL-UNNAMED", "-XX:+IgnoreUnrecognizedVMOptions"), b.flags());
        List<String> cmd = b.java(List.of("-Xmx1g"), "Main");
        assertEquals(List.of("--add-opens=java.base/java.nio=ALL-UNNAMED", "-XX:+IgnoreUnrecognizedVMOptions", "-Xmx1g",
                "-cp", jar + ":" + dir.resolve("lib") + "/*", "Main"), cmd.subList(1, cmd.size()));
    }
}
