package dev.medseg.job.bench;

import dev.medseg.job.cli.UserError;
import dev.medseg.model.WeightStorage;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Options shared by the model benchmarks ({@code train-step}, {@code forward}, {@code peer}). */
public final class ModelBenchOptions {
    @Option(names = "--model", defaultValue = "both", description = "transunet, llm-transunet or both (default ${DEFAULT-VALUE}).")
    String model;
    @Option(names = "--batch", defaultValue = "2", description = "Images per step (default ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--size", defaultValue = "256", description = "Image side in pixels (default ${DEFAULT-VALUE}).")
    int size;
    @Option(names = "--classes", defaultValue = "9", description = "Output classes (default ${DEFAULT-VALUE}, Synapse).")
    int classes;
    @Option(names = "--steps", defaultValue = "3", description = "Timed steps; the median is reported (default ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--warmup", defaultValue = "1", description = "Untimed steps first (default ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--tiny", description = "The test-size model at 64 px (a quick smoke run; figures mean nothing).")
    boolean tiny;
    @Option(names = "--op-profile", defaultValue = "0", paramLabel = "N",
            description = "Also time every op and print the N op types that take longest, plus the time outside ops.")
    int opProfile;
    @Option(names = "--live-profile", defaultValue = "0", paramLabel = "N",
            description = "train-step: also report the intermediate arrays alive at the step's memory peak, the N "
                    + "largest groups by the op that made them and the ops still to read them (slows the timed steps).")
    int liveProfile;
    @Option(names = "--llm-storage", defaultValue = "float32", paramLabel = "TYPE",
            description = "How LLM-TransUNet keeps its frozen block's weight matrices: float32, float16 or bfloat16 "
                    + "(model.llm.storage; products run in fp32 either way) (default ${DEFAULT-VALUE}).")
    String llmStorage;
    @Option(names = "--in-process", description = "Run in this JVM instead of one fresh JVM per model "
            + "(peak memory then mixes models).")
    boolean inProcess;

    /** The runs these options ask for, one per model, in the given mode; usage errors as {@link UserError}. */
    public List<BenchSettings> settings(BenchSettings.Mode mode) {
        List<BenchModel> models;
        try {
            models = BenchModel.parseList(model);
        } catch (IllegalArgumentException e) {
            throw new UserError("--model: " + e.getMessage());
        }
        if (opProfile < 0 || opProfile > 1000) throw new UserError("--op-profile must be in [0, 1000], got " + opProfile);
        if (liveProfile < 0 || liveProfile > 1000) {
            throw new UserError("--live-profile must be in [0, 1000], got " + liveProfile);
        }
        if (liveProfile > 0 && mode != BenchSettings.Mode.TRAIN_STEP) {
            throw new UserError("--live-profile is for train-step (eval forwards free every array after its last reader)");
        }
        int s = tiny && size == 256 ? 64 : size; // --tiny alone means a 64 px smoke run
        WeightStorage storage;
        try {
            storage = WeightStorage.parse(llmStorage);
        } catch (IllegalArgumentException e) {
            throw new UserError("--llm-storage: " + e.getMessage());
        }
        List<BenchSettings> out = new ArrayList<>();
        try {
            for (BenchModel m : models) out.add(new BenchSettings(m, mode, batch, s, classes, steps, warmup, tiny, storage));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        return out;
    }

    /** The child JVM's arguments for {@code s}, with this run's profiling option. */
    List<String> childArgumentsOf(BenchSettings s) {
        List<String> a = childArguments(s);
        if (opProfile > 0) a.addAll(a.size() - 1, List.of("--op-profile", Integer.toString(opProfile)));
        if (liveProfile > 0) a.addAll(a.size() - 1, List.of("--live-profile", Integer.toString(liveProfile)));
        return a;
    }

    /** The arguments that make a child JVM run exactly {@code s} in-process. */
    static List<String> childArguments(BenchSettings s) {
        List<String> a = new ArrayList<>(List.of("bench", s.mode() == BenchSettings.Mode.TRAIN_STEP ? "train-step" : "forward",
                "--model", s.model().id(), "--batch", "" + s.batch(), "--size", "" + s.size(), "--classes", "" + s.classes(),
                "--steps", "" + s.steps(), "--warmup", "" + s.warmup()));
        if (s.tiny()) a.add("--tiny");
        if (s.llmStorage() != WeightStorage.FLOAT32) a.addAll(List.of("--llm-storage", s.llmStorage().configName()));
        a.add("--in-process");
        return a;
    }
}
