package dev.medseg.model;

import org.nd4j.linalg.api.buffer.DataType;

import java.util.Locale;

/**
 * How the frozen LLM block's weight matrices are kept in memory. Products always run in fp32: a half-precision matrix
 * is widened to fp32 just before each product that reads it (forward, and again in the backward pass) and the wide
 * copy is freed after that product, so the block's resident size halves at the cost of one conversion per use.
 *
 * <p>LLaMA checkpoints are distributed in half precision (Meta's LLaMA-7B in fp16, Llama 3 in bf16): keeping such a
 * block in its own precision loses nothing, since fp32 storage only widens the same values. Storing fp32 weights
 * (or bf16 ones as fp16) rounds them; {@link dev.medseg.model.LlmWeights} says which case applies when it loads.
 */
public enum WeightStorage {
    /** 4 bytes per weight, as read; no conversion per product. The default. */
    FLOAT32(DataType.FLOAT),
    /** 2 bytes per weight: exact for fp16 checkpoints (LLaMA-7B); values beyond ±65504 are refused. */
    FLOAT16(DataType.HALF),
    /** 2 bytes per weight: exact for bf16 checkpoints (Llama 3); fp16 and fp32 values keep 8 of their mantissa bits. */
    BFLOAT16(DataType.BFLOAT16);

    private final DataType dataType;

    WeightStorage(DataType dataType) {
        this.dataType = dataType;
    }

    /** The ND4J type the matrices are stored as (FLOAT32: fp32). */
    public DataType dataType() { return dataType; }

    /** The type the matrices are stored as in a graph computing in {@code graph}: FLOAT32 means the graph's own. */
    public DataType dataType(DataType graph) { return this == FLOAT32 ? graph : dataType; }

    /** Bytes per stored weight. */
    public int bytes() { return this == FLOAT32 ? 4 : 2; }

    /** The config spelling: float32, float16 or bfloat16. */
    public String configName() { return name().toLowerCase(Locale.ROOT); }

    /** Parses a config spelling (case-insensitive). */
    public static WeightStorage parse(String s) {
        for (WeightStorage w : values()) if (w.configName().equalsIgnoreCase(s.trim())) return w;
        throw new IllegalArgumentException("unknown LLM weight storage '" + s + "' (float32, float16 or bfloat16)");
    }
}
