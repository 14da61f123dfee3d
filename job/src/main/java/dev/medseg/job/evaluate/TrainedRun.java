package dev.medseg.job.evaluate;

import com.typesafe.config.Config;
import dev.medseg.job.cli.UserError;
import dev.medseg.job.config.ConfigLoader;
import dev.medseg.job.train.ExecutorModels;
import dev.medseg.job.train.RunDirectory;
import dev.medseg.job.train.RunSpec;
import dev.medseg.model.ModelConfig;
import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.train.ModelCheckpoint;
import dev.medseg.model.train.ParamLayout;
import dev.medseg.model.train.TrainState;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A training run opened for inference: its config ({@code resolved.conf} plus command-line overrides), the chosen
 * checkpoint read on the driver and broadcast to the executors.
 *
 * @param runId      the run's id (its folder name, as training wrote it)
 * @param config     the resolved config
 * @param model      the model config
 * @param checkpoint the checkpoint read (file name or path) and its training step
 * @param inference  what tasks need to run the model
 */
public record TrainedRun(String runId, Config config, ModelConfig model, String checkpoint, InferenceModel inference) {
    /** {@code --checkpoint} value for checkpoints/best.safetensors. */
    public static final String BEST = "best";
    /** {@code --checkpoint} value for checkpoints/final.safetensors. */
    public static final String FINAL = "final";

    /** Parameter and buffer layouts of the model, as an executor's eval graph defines them. */
    public record Layouts(ParamLayout params, ParamLayout buffers) implements Serializable {
    }

    /**
     * Opens {@code runDir} (any Hadoop file system).
     *
     * @param checkpoint {@code best}, {@code final}, a checkpoint file, or null for best if present, else final
     *                   (as TransUNet's test.py takes best_model.pth if present, else the last epoch's)
     * @throws UserError when the folder is not a training run, the checkpoint is missing or not one of this model
     */
    public static TrainedRun open(SparkSession spark, String runDir, String checkpoint, List<String> overrides) {
        RunDirectory run = new RunDirectory(runDir, spark.sparkContext().hadoopConfiguration());
        String text = run.readText(RunDirectory.CONFIG).orElseThrow(() -> new UserError("--run " + runDir + ": no "
                + RunDirectory.CONFIG + " (not a training run folder)"));
        Config config = load(text, overrides);
        RunSpec spec = RunSpec.of(config);
        ModelConfig model = spec.model();
        String runId = new org.apache.hadoop.fs.Path(run.location()).getName();

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        jsc.setJobDescription("medseg: build the model to learn its parameter layout");
        // the graph (and any frozen block) lives on executors; the driver only needs the layouts
        Layouts layouts = jsc.parallelize(List.of(0), 1)
                .map(x -> ExecutorModels.withEvalGraph(spec, g -> new Layouts(ParamLayout.of(g.trainable()),
                        ParamLayout.of(g.buffers()))))
                .collect().get(0);
        String name;
        ModelCheckpoint.Contents contents;
        try {
            if (checkpoint == null || checkpoint.equals(BEST) || checkpoint.equals(FINAL)) {
                name = chooseNamed(run, checkpoint);
                contents = run.readCheckpoint(name, layouts.params(), layouts.buffers());
            } else {
                name = checkpoint;
                contents = readFile(spark, checkpoint, layouts);
            }
        } catch (CheckpointFormatException e) {
            throw new UserError("checkpoint does not fit this run's model: " + e.getMessage(), e);
        }
        TrainState s = contents.state();
        TrainState weights = new TrainState(s.step(), s.params(), new float[0][], s.buffers());
        InferenceModel inference = new InferenceModel(spec, layouts.params(), layouts.buffers(), jsc.broadcast(weights));
        return new TrainedRun(runId, config, model, name + " (step " + s.step() + ")", inference);
    }

    /** The number of classes scored: 1 for a binary model, else numClasses - 1 (background is not scored). */
    public int scoredClasses() {
        return Math.max(1, model.numClasses() - 1);
    }

    private static Config load(String text, List<String> overrides) {
        try {
            Path tmp = Files.createTempFile("medseg-run", ".conf");
            try {
                Files.writeString(tmp, text, StandardCharsets.UTF_8);
                return ConfigLoader.load(Optional.of(tmp), overrides);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage the run's config: " + e.getMessage(), e);
        }
    }

    private static String chooseNamed(RunDirectory run, String choice) {
        if (choice == null) {
            if (run.hasCheckpoint(RunDirectory.BEST)) {
                return RunDirectory.BEST;
            }
            if (run.hasCheckpoint(RunDirectory.FINAL)) {
                return RunDirectory.FINAL;
            }
            throw new UserError("--run " + run.location() + ": no " + RunDirectory.CHECKPOINTS + "/" + RunDirectory.BEST
                    + " or " + RunDirectory.FINAL + " (training not finished?); give --checkpoint FILE");
        }
        String name = choice.equals(BEST) ? RunDirectory.BEST : RunDirectory.FINAL;
        if (!run.hasCheckpoint(name)) {
            throw new UserError("--checkpoint " + choice + ": " + run.location() + "/" + RunDirectory.CHECKPOINTS + "/"
                    + name + " does not exist");
        }
        return name;
    }

    private static ModelCheckpoint.Contents readFile(SparkSession spark, String location, Layouts layouts) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(location);
        try {
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.isFile(p)) {
                throw new UserError("--checkpoint " + location + ": no such file (give best, final or a checkpoint file)");
            }
            if ("file".equals(fs.getUri().getScheme())) {
                return ModelCheckpoint.read(Path.of(fs.makeQualified(p).toUri()), layouts.params(), layouts.buffers());
            }
            Path tmp = Files.createTempFile("medseg-ckpt", ".safetensors");
            try {
                fs.copyToLocalFile(false, p, new org.apache.hadoop.fs.Path(tmp.toUri()), true);
                return ModelCheckpoint.read(tmp, layouts.params(), layouts.buffers());
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UserError("--checkpoint " + location + ": " + e.getMessage(), e);
        }
    }
}
