package dev.medseg.job.config;

import dev.medseg.job.train.TrainSettings;
import dev.medseg.model.ModelConfig;
import dev.medseg.model.train.Optimizer;
import dev.medseg.model.train.SegmentationLoss;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** The paper's experiments resolve to the recipes of the spec (model-spec §1.8 and §5). */
class ExperimentConfigsTest {
    static Path experiments() {
        return RepoRoot.find().resolve("conf/experiments");
    }

    static Settings load(String name) {
        return new Settings(ConfigLoader.load(Optional.of(experiments().resolve(name)), List.of()));
    }

    @Test
    void everyTableCellHasABaselineAndAnLlmConfig() throws Exception {
        try (var files = Files.list(experiments())) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            for (String ds : List.of("table1-isic2017", "table1-busi", "table1-cvc-clinicdb", "table1-cvc-colondb",
                    "table2-synapse", "table2-acdc")) {
                assertTrue(names.contains(ds + "-transunet.conf"), ds);
                assertTrue(names.contains(ds + "-llm-transunet.conf"), ds);
            }
            for (String n : names) {
                Settings s = load(n);
                ModelConfig m = ModelSettings.from(s);
                TrainSettings t = TrainSettings.from(s);
                t.loss().checkClasses(m.numClasses());
                assertEquals(256, m.imageSize(), n);
                assertEquals(s.config().getInt("prep.imageSize"), m.imageSize(), n);
                assertEquals(n.contains("llm-transunet") || n.endsWith("-medvisionllama.conf"), m.llm().isPresent(), n);
            }
        }
    }

    @Test
    void synapseUsesTransUNetsRecipe() {
        Settings s = load("table2-synapse-llm-transunet.conf");
        ModelConfig m = ModelSettings.from(s);
        TrainSettings t = TrainSettings.from(s);
        assertEquals(9, m.numClasses());
        assertEquals(ModelConfig.Llm.llama7b(), m.llm().orElseThrow());
        assertEquals(SegmentationLoss.CE_DICE, t.loss());
        assertEquals(new Optimizer.Sgd(0.9, 1e-4), t.optimizer());
        assertEquals(0.01, t.lr());
        assertEquals("poly", t.scheduleName());
        assertEquals(150, t.epochs());
        assertEquals(24, t.workers() * t.batchSizePerWorker());
    }

    @Test
    void twoDimensionalDatasetsUseTheBinaryRecipe() {
        Settings s = load("table1-isic2017-transunet.conf");
        ModelConfig m = ModelSettings.from(s);
        TrainSettings t = TrainSettings.from(s);
        assertEquals(1, m.numClasses());
        assertEquals(3, m.inChannels());
        assertTrue(m.llm().isEmpty());
        assertEquals(SegmentationLoss.BCE_DICE, t.loss());
        assertEquals(new Optimizer.Adam(0.9, 0.999, 1e-8, 1e-4), t.optimizer());
        assertEquals(1e-4, t.lr());
        assertEquals("cosine", t.scheduleName());
        assertEquals(1e-5, t.minLr());
        assertEquals(200, t.epochs());
        assertEquals(8, t.batchSizePerWorker());
        assertEquals("iou", t.bestMetric());
    }
}
