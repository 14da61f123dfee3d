package dev.medseg.job.config;

import dev.medseg.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class ConfigLoaderTest {
    @TempDir Path dir;

    @Test
    void defaultsDescribeTheReferenceLlmTransUNet() {
        ModelConfig m = ModelSettings.from(new Settings(ConfigLoader.load(Optional.empty(), List.of())));
        assertEquals(ModelConfig.llmTransUNet(9, 256), m);
    }

    @Test
    void fileOverridesDefaultsAndCommandLineOverridesFile() throws Exception {
        Path f = dir.resolve("exp.conf");
        Files.writeString(f, "model { numClasses = 4, imageSize = 224 }\nseed = 7\n");
        var c = ConfigLoader.load(Optional.of(f), List.of("model.numClasses=2", "model.llm.enabled=false"));
        assertEquals(2, c.getInt("model.numClasses"));
        assertEquals(224, c.getInt("model.imageSize"));
        assertEquals(7, c.getInt("seed"));
        ModelConfig m = ModelSettings.from(new Settings(c));
        assertTrue(m.llm().isEmpty());
        assertEquals(ModelConfig.r50ViTB16(2, 224), m);
    }

    @Test
    void includesResolveRelativeToTheIncludingFile() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("experiments"));
        Files.writeString(dir.resolve("base.conf"), "model.numClasses = 4\n");
        Path f = sub.resolve("acdc.conf");
        Files.writeString(f, "include \"../base.conf\"\nmodel.imageSize = 224\n");
        var c = ConfigLoader.load(Optional.of(f), List.of());
        assertEquals(4, c.getInt("model.numClasses"));
        assertEquals(224, c.getInt("model.imageSize"));
    }

    @Test
    void everyShippedConfigLoadsAndMaps() throws Exception {
        Path conf = RepoRoot.find().resolve("conf");
        try (var files = Files.walk(conf)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".conf")).toList()) {
                var c = ConfigLoader.load(Optional.of(f), List.of());
                assertNotNull(ModelSettings.from(new Settings(c)), f.toString());
            }
        }
    }

    @Test
    void unknownKeyIsRefusedWithTheClosestKnownKey() {
        var e = assertThrows(ConfigError.class,
                () -> ConfigLoader.load(Optional.empty(), List.of("model.numClases=3")));
        assertEquals("unknown config key 'model.numClases' in command line (did you mean 'model.numClasses'?)",
                e.getMessage());
    }

    @Test
    void unknownKeyInAFileNamesTheFile() throws Exception {
        Path f = dir.resolve("typo.conf");
        Files.writeString(f, "model.vit.hiden = 32\n");
        var e = assertThrows(ConfigError.class, () -> ConfigLoader.load(Optional.of(f), List.of()));
        assertTrue(e.getMessage().contains("'model.vit.hiden'") && e.getMessage().contains(f.toString())
                && e.getMessage().contains("model.vit.hidden"), e.getMessage());
    }

    @Test
    void outOfRangeValueNamesKeyValueAndOrigin() {
        var c = ConfigLoader.load(Optional.empty(), List.of("model.imageSize=250"));
        var e = assertThrows(ConfigError.class, () -> ModelSettings.from(new Settings(c)));
        assertTrue(e.getMessage().startsWith("config key 'model.imageSize' must be a multiple of 16, got 250"),
                e.getMessage());
        assertTrue(e.getMessage().contains("command line"), e.getMessage());
    }

    @Test
    void wrongTypeAndBadEnumAreNamed() {
        var c1 = ConfigLoader.load(Optional.empty(), List.of("model.vit.layers=twelve"));
        var e1 = assertThrows(ConfigError.class, () -> ModelSettings.from(new Settings(c1)));
        assertTrue(e1.getMessage().startsWith("config key 'model.vit.layers' must be an integer"), e1.getMessage());
        var c2 = ConfigLoader.load(Optional.empty(), List.of("model.encoder=resnet"));
        var e2 = assertThrows(ConfigError.class, () -> ModelSettings.from(new Settings(c2)));
        assertTrue(e2.getMessage().startsWith("config key 'model.encoder' must be one of r50-vit, vit"), e2.getMessage());
        var c3 = ConfigLoader.load(Optional.empty(), List.of("model.llm.kvHeads=5"));
        var e3 = assertThrows(ConfigError.class, () -> ModelSettings.from(new Settings(c3)));
        assertTrue(e3.getMessage().startsWith("config key 'model.llm.kvHeads' must divide model.llm.heads (32)"), e3.getMessage());
        var c4 = ConfigLoader.load(Optional.empty(), List.of("model.llm.storage=fp8"));
        var e4 = assertThrows(ConfigError.class, () -> ModelSettings.from(new Settings(c4)));
        assertTrue(e4.getMessage().startsWith("config key 'model.llm.storage' must be one of float32, float16, bfloat16"),
                e4.getMessage());
    }

    @Test
    void theLlmBlockIsKeptInFp32UnlessTheConfigSaysOtherwise() {
        var dflt = ModelSettings.from(new Settings(ConfigLoader.load(Optional.empty(), List.of())));
        assertEquals(dev.medseg.model.WeightStorage.FLOAT32, dflt.llm().orElseThrow().storage());
        var half = ModelSettings.from(new Settings(ConfigLoader.load(Optional.empty(), List.of("model.llm.storage=BFloat16"))));
        assertEquals(dev.medseg.model.WeightStorage.BFLOAT16, half.llm().orElseThrow().storage());
    }

    @Test
    void malformedOverrideAndMissingFileAreClear() {
        var e1 = assertThrows(ConfigError.class, () -> ConfigLoader.load(Optional.empty(), List.of("seed")));
        assertEquals("override 'seed' is not of the form key=value", e1.getMessage());
        var e2 = assertThrows(ConfigError.class,
                () -> ConfigLoader.load(Optional.of(dir.resolve("nope.conf")), List.of()));
        assertTrue(e2.getMessage().startsWith("config file not found: "), e2.getMessage());
    }

    @Test
    void resolvedConfigRoundTrips() throws Exception {
        var c = ConfigLoader.load(Optional.empty(), List.of("model.numClasses=4", "seed=99"));
        Path out = dir.resolve("run/resolved.conf");
        ConfigLoader.write(c, out);
        var again = ConfigLoader.load(Optional.of(out), List.of());
        assertEquals(c.root().unwrapped(), again.root().unwrapped());
    }

    @Test
    void editDistance() {
        assertEquals(0, ConfigLoader.editDistance("abc", "abc"));
        assertEquals(1, ConfigLoader.editDistance("abc", "abd"));
        assertEquals(3, ConfigLoader.editDistance("", "abc"));
    }
}
