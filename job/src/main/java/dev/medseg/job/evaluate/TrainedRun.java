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
 * A training run opened for inference: its config ({@code resolved.conf} plus command-line overrides) and the
 * chosen checkpoint. {@link #open} only checks (cheap, so bad arguments fail at once); {@link #load} reads the
 * checkpoint on the driver and broadcasts it to the executors.
 */
public final class TrainedRun {
    /** {@code --checkpoint} value for checkpoints/best.safetensors. */
    public static final String BEST = "best";
    /** {@code --checkpoint} value for checkpoints/final.safetensors. */
    public static final String FINAL = "final";

    private final RunDirectory run;
    private final String runId;
    private final Config config;
    private final RunSpec spec;
    private final ModelConfig model;
    private final String named;
    private final String file;

    /** Parameter and buffer layouts of the model, as an executor's eval graph defines them. */
    public record Layouts(ParamLayout params, ParamLayout buffers) implements Serializable {
    }

    /**
     * A loaded checkpoint.
     *
     * @param inference what tasks need to run the model
     * @param checkpoint the checkpoint read and its training step, for people
     */
    public record Loaded(InferenceModel inference, String checkpoint) {
    }

    private TrainedRun(RunDirectory run, Config config, String named, String file) {
        this.run = run;
        this.runId = new org.apache.hadoop.fs.Path(run.location()).getName();
        this.config = config;
        this.spec = RunSpec.of(config);
        this.model = spec.model();
        this.named = named;
        this.file = file;
    }

    /**
     * Opens {@code runDir} (any Hadoop file system) and checks that the checkpoint exists.
     *
     * @param checkpoint {@code best}, {@code final}, a checkpoint file, or null for best if present, else final
     *                   (as TransUNet's test.py takes best_model.pth if present, else the last epoch's)
     * @throws UserError when the folder is not a training run or the checkpoint is missing
     */
    public static TrainedRun open(SparkSession spark, String runDir, String checkpoint, List<String> overrides) {
        RunDirectory run = new RunDirectory(runDir, spark.sparkContext().hadoopConfiguration());
        String text = run.readText(RunDirectory.CONFIG).orElseThrow(() -> new UserError("--run " + runDir + ": no "
                + RunDirectory.CONFIG + " (not a training run folder)"));
        Config config = load(text, overrides);
        if (checkpoint == null || checkpoint.equals(BEST) || checkpoint.equals(FINAL)) {
            return new TrainedRun(run, config, chooseNamed(run, checkpoint), null);
        }
        requireFile(spark, checkpoint);
        return new TrainedRun(run, config, null, checkpoint);
    }

    /** The run's id (its folder name, as training wrote it). */
    public String runId() {
        return runId;
    }

    /** The resolved config. */
    public Config config() {
        return config;
    }

    /** The model config. */
    public ModelConfig model() {
        return model;
    }

    /** The number of classes scored: 1 for a binary model, else numClasses - 1 (background is not scored). */
    public int scoredClasses() {
        return Math.max(1, model.numClasses() - 1);
    }

    /**
     * Learns the parameter layouts from an executor's eval graph (where the frozen block lives; the driver builds
     * no model), reads the checkpoint on the driver and broadcasts its parameters and buffers.
     *
     * @throws UserError when the checkpoint is not one of this model
     */
    public Loaded load(SparkSession spark) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        jsc.setJobDescription("medseg: build the model to learn its parameter layout");
        RunSpec s = spec;
        Layouts layouts = jsc.parallelize(List.of(0), 1)
                .map(x -> ExecutorModels.withEvalGraph(s, g -> new Layouts(ParamLayout.of(g.trainable()),
                        ParamLayout.of(g.buffers()))))
                .collect().get(0);
        ModelCheckpoint.Contents contents;
        String where = named != null ? named : file;
        try {
            contents = named != null ? run.readCheckpoint(named, layouts.params(), layouts.buffers())
                    : readFile(spark, file, layouts);
        } catch (CheckpointFormatException e) {
            throw new UserError("checkpoint " + where + " does not fit this run's model: " + e.getMessage(), e);
        }
        TrainState state = contents.state();
        TrainState weights = new TrainState(state.step(), state.params(), new float[0][], state.buffers());
        InferenceModel inference = new InferenceModel(spec, layouts.params(), layouts.buffers(), jsc.broadcast(weights));
        return new Loaded(inference, where + " (step " + state.step() + ")");
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

    private static void requireFile(SparkSession spark, String location) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(location);
        try {
            if (!p.getFileSystem(spark.sparkContext().hadoopConfiguration()).isFile(p)) {
                throw new UserError("--checkpoint " + location + ": no such file (give best, final or a checkpoint file)");
            }
        } catch (IOException e) {
            throw new UserError("--checkpoint " + location + ": " + e.getMessage(), e);
        }
    }

    private static ModelCheckpoint.Contents readFile(SparkSession spark, String location, Layouts layouts) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(location);
        try {
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
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
