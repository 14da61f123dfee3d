package dev.medseg.job.cli;

import dev.medseg.job.config.ModelSettings;
import dev.medseg.job.config.Settings;
import dev.medseg.model.LlmWeights;
import dev.medseg.model.ModelConfig;
import dev.medseg.model.SegmentationNetwork;
import dev.medseg.model.StateDict;
import dev.medseg.model.TransUNet;
import dev.medseg.model.VitNpzImporter;
import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.io.NpyFormat;
import dev.medseg.model.io.SafetensorsSource;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.io.TensorSources;
import dev.medseg.model.nn.Graph;
import dev.medseg.model.nn.Inference;
import dev.medseg.model.train.ModelCheckpoint;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Runs the model in eval mode on an .npy batch and writes the logits, so anyone can compare our graph with a
 * reference implementation given the same weights.
 */
@Command(name = "forward", description = "Run a model on an input .npy (N, C, H, W) in eval mode and write the logits as .npy.")
final class ForwardCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "FILE", description = "A reference PyTorch state dict (.pth) or a medseg checkpoint (.safetensors) of the same model config.")
    Path checkpoint;
    @Option(names = "--vit-npz", paramLabel = "FILE", description = "ImageNet-21k R50+ViT-B_16.npz or ViT-B_16.npz for the encoder (strict; a --checkpoint overrides it).")
    Path vitNpz;
    @Option(names = "--llm", paramLabel = "FILE", description = "LLaMA block weights: extracted safetensors, Meta .pth or HF checkpoint.")
    Path llm;
    @Option(names = "--batch", defaultValue = "4", description = "Images per forward pass (memory bound).")
    int batch;
    @Option(names = "--input", required = true, paramLabel = "X.npy") Path input;
    @Option(names = "--output", required = true, paramLabel = "Y.npy") Path output;
    @Mixin ConfigOptions config;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        var conf = config.load();
        ModelConfig cfg = ModelSettings.from(new Settings(conf));
        if (llm != null && cfg.llm().isEmpty()) throw new UserError("--llm given but model.llm.enabled is false");
        int layer = conf.getInt("model.llm.layer");
        Map<String, INDArray> frozen = llm == null ? null
                : LlmWeights.load(llm, layer, cfg.llm().get(), DataType.FLOAT);
        Graph g = new Graph(Graph.Mode.EVAL, 0, new dev.medseg.job.config.Settings(conf).longValue("seed"), DataType.FLOAT,
                frozen == null ? null : frozen::get);
        SegmentationNetwork.build(g, cfg);
        var err = spec.commandLine().getErr();
        if (vitNpz != null) {
            try (TensorSource src = TensorSources.open(vitNpz)) {
                err.printf("%s: %s%n", vitNpz, VitNpzImporter.load(g, src, VitNpzImporter.Mode.STRICT).summary());
            } catch (CheckpointFormatException e) {
                throw new UserError(e.getMessage(), e);
            }
        }
        if (checkpoint != null) {
            try (TensorSource src = TensorSources.open(checkpoint)) {
                // Our checkpoints (train's checkpoints/*.safetensors) hold no frozen block: it comes from --llm.
                boolean ours = src instanceof SafetensorsSource st
                        && ModelCheckpoint.FORMAT.equals(st.metadata().get(ModelCheckpoint.FORMAT_KEY));
                if (ours && cfg.llm().isPresent() && llm == null && !g.frozen().isEmpty()) {
                    throw new UserError(checkpoint + " is a medseg checkpoint without the frozen LLM block: give it with --llm");
                }
                var report = StateDict.load(g, src, !ours);
                err.printf("loaded %d tensors from %s%s%n", report.loaded(), checkpoint,
                        report.unused().isEmpty() ? "" : "; unused: " + report.unused());
            } catch (CheckpointFormatException e) {
                throw new UserError(e.getMessage(), e);
            }
        } else if (vitNpz == null) {
            err.println("warning: no --checkpoint: weights are randomly initialised (seed " + new dev.medseg.job.config.Settings(conf).longValue("seed") + ")");
        }
        INDArray x;
        try (TensorSource in = NpyFormat.open(input)) {
            var info = in.require(in.names().get(0));
            long[] s = info.shape();
            if (s.length != 4 || s[1] != cfg.inChannels() || s[2] != cfg.imageSize() || s[3] != cfg.imageSize()) {
                throw new UserError(input + ": shape " + Arrays.toString(s) + " does not fit the model, which takes (N, "
                        + cfg.inChannels() + ", " + cfg.imageSize() + ", " + cfg.imageSize() + ")");
            }
            x = Nd4j.create(in.readFloat(info.name()), s, 'c');
        } catch (CheckpointFormatException e) {
            throw new UserError(e.getMessage(), e);
        }
        long n = x.size(0);
        INDArray logits = null;
        for (long i = 0; i < n; i += batch) {
            INDArray chunk = x.get(NDArrayIndex.interval(i, Math.min(n, i + batch)), NDArrayIndex.all(),
                    NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
            INDArray y = Inference.outputBySample(g.sd(), Map.of(TransUNet.INPUT, chunk), TransUNet.LOGITS).get(TransUNet.LOGITS);
            logits = logits == null ? y.dup() : Nd4j.concat(0, logits, y);
        }
        NpyFormat.write(output, logits.data().asFloat(), logits.shape());
        err.printf("wrote logits %s to %s%n", Arrays.toString(logits.shape()), output);
        return 0;
    }
}
