package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

import static dev.medseg.model.nn.Graph.Init.*;

/**
 * loralib's {@code lora.Linear} in training mode (microsoft/LoRA loralib/layers.py; MedVisionLlama's mappers):
 * y = x·Wᵀ + b + (alpha/r)·(x·Aᵀ)·Bᵀ with W a FROZEN random base weight [out, in] (PyTorch's default Linear init,
 * U(±1/√in), drawn once from the graph seed — a frozen constant, so checkpoints do not carry it), b trainable
 * (U(±1/√in)), A [r, in] trainable (kaiming_uniform a=√5 = U(±1/√in)) and B [out, r] trainable, zeros: at
 * initialisation the map equals the frozen base. Names: {@code <name>.weight|bias|lora_A|lora_B} as loralib's.
 * Not merged at eval: the unmerged form gives the same values.
 */
public final class LoraLinear {
    private LoraLinear() {}

    /** x: (M, in) → (M, out). */
    public static SDVariable apply(Graph g, String name, SDVariable x, int in, int out, int rank, double alpha) {
        if (rank <= 0 || alpha <= 0) throw new IllegalArgumentException("LoRA rank and alpha must be positive: " + rank + ", " + alpha);
        SDVariable w = g.frozenMatrix(name + ".weight", UNIFORM_FAN_IN, in, g.dtype(), out, in);
        SDVariable base = FrozenMatmul.of(g, x, w);
        SDVariable bias = g.param(name + ".bias", UNIFORM_FAN_IN, in, out, out);
        SDVariable a = g.param(name + ".lora_A", UNIFORM_FAN_IN, in, rank, rank, in);
        SDVariable b = g.param(name + ".lora_B", ZEROS, rank, out, out, rank);
        SDVariable low = g.sd().mmul(g.sd().mmul(x, a, false, true, false), b, false, true, false);
        SameDiff sd = g.sd();
        return BroadcastAdd.residual(sd, BroadcastAdd.of(sd, base, bias, false, 0), low.mul(alpha / rank));
    }

    /** Trainable parameters of one LoRA linear: bias + A + B. */
    public static long trainableParameters(int in, int out, int rank) {
        return out + (long) rank * in + (long) out * rank;
    }
}
