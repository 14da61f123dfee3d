package dev.medseg.job.evaluate;

import dev.medseg.job.train.ExecutorModels;
import dev.medseg.job.train.RunSpec;
import dev.medseg.job.train.Validation;
import dev.medseg.model.ModelConfig;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.train.ParamLayout;
import dev.medseg.model.train.TrainState;
import org.apache.spark.broadcast.Broadcast;

import java.io.Serializable;
import java.util.function.Function;

/**
 * What a task needs to run a trained model: the run's spec (the executor builds or reuses its eval-mode graph and
 * frozen block from it), the parameter layouts, and the checkpoint's parameters and buffers, broadcast once.
 *
 * @param spec    the run's model spec
 * @param params  trainable parameter layout
 * @param buffers buffer layout (BatchNorm running statistics)
 * @param state   the checkpoint's state (no optimizer slots)
 */
public record InferenceModel(RunSpec spec, ParamLayout params, ParamLayout buffers, Broadcast<TrainState> state)
        implements Serializable {

    /** On an executor: runs {@code work} with an eval-mode graph holding the checkpoint's weights. */
    public <T> T withGraph(Function<Graph, T> work) {
        return ExecutorModels.withEvalGraph(spec, g -> {
            Validation.load(g, state.value(), params, buffers);
            return work.apply(g);
        });
    }

    /** The run's model config. */
    public ModelConfig model() {
        return ExecutorModels.model(spec);
    }
}
