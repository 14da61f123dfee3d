package dev.medseg.job.evaluate;

import dev.medseg.job.config.ConfigLoader;
import dev.medseg.job.train.RunSpec;
import dev.medseg.model.ModelConfig;
import dev.medseg.model.TransUNet;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.train.ParamLayout;
import dev.medseg.model.train.SegmentationTrainer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** Checkpoints are written in the training graph's layout and read in the eval graph's: the two must agree. */
class GraphLayoutsTest {
    @Test
    void evalGraphLayoutsEqualTrainingGraphLayouts() {
        var config = ConfigLoader.load(Optional.empty(), EvaluateJobTest.TINY);
        RunSpec spec = RunSpec.of(config);
        ModelConfig m = spec.model();
        var trainer = new SegmentationTrainer(m, spec.train().loss(), spec.train().optimizer(), 2, 7, null);
        Graph eval = new Graph(Graph.Mode.EVAL, 0, 7, DataType.FLOAT, null);
        TransUNet.build(eval, m);
        ParamLayout params = ParamLayout.of(eval.trainable());
        ParamLayout buffers = ParamLayout.of(eval.buffers());
        assertTrue(params.sameAs(trainer.params()), () -> params.difference(trainer.params()));
        assertTrue(buffers.sameAs(trainer.buffers()), () -> buffers.difference(trainer.buffers()));
        assertTrue(params.size() > 1000);
        assertFalse(buffers.entries().isEmpty(), "the tiny model has BatchNorm running statistics");
    }
}
