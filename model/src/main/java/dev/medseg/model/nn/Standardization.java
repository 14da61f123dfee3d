package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.layers.convolution.BatchNorm;
import org.nd4j.linalg.api.ops.impl.reduce.Moments;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.List;

/**
 * x̂ = (x − mean)·rsqrt(var + eps) over all dims of x but one (biased variance), as two native ops, libnd4j's
 * {@code moments} and {@code batchnorm} (without scale and shift), with a gradient of our own: TransUNet's weight
 * standardisation (per output channel of every ResNet conv) and LayerNorm's rows.
 *
 * <p>Why: the composite of fused reductions and broadcasts it replaces there took ~13 SameDiff ops forward and ~30
 * backward per norm on arrays of a few KB to a few MB, where SameDiff's per-op cost outside the kernel, not memory
 * traffic, is the price; this takes 2 and ~12 (a TransUNet train step: 8,221 ops -> 6,577). On activation maps
 * (GroupNorm, BatchNorm) the composite stays: libnd4j's batchnorm is one more pass over the map than x·scale + shift,
 * and there that pass costs more than the ops saved (forward +2% when GroupNorm used this).
 *
 * <p>libnd4j's {@code batchnorm_bp} throws in 1.0.0-M2.1, so the gradient is ours (through
 * {@link GradientOverrides}): with r = rsqrt(var + eps) and means over the normalised dims,
 * dx = r·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)). That is the whole derivative, the paths through the statistics
 * included, so the statistics pass back zeros: the batchnorm op gives zeros to its mean and variance inputs, and
 * {@code moments} a scalar zero to x. The backward pass reads x̂, never x.
 *
 * <p>Where the overrides cannot be installed (a future ND4J, or {@code -Dmedseg.libraryGradients=true}),
 * {@link #installed()} is false and callers build the composite instead.
 */
public final class Standardization {
    private static final String MARK = "stdz";
    private static final String STATS_MARK = "stats";

    private Standardization() {}

    /** x̂ and the statistics it used, each of x's size along the kept dim (1-D). */
    public record Result(SDVariable normalized, SDVariable mean, SDVariable variance) {}

    /** Whether SameDiff re-creates both ops as ours, so the marked nodes get this gradient. */
    public static boolean installed() {
        return GradientOverrides.register("moments", Moments.class, StatsOp.class)
                & GradientOverrides.register("batchnorm", BatchNorm.class, NormOp.class);
    }

    /**
     * Standardises a rank-{@code rank} x over {@code dims}, all dims but one; {@code n} is the number of elements
     * each statistic covers (the product of x's sizes along {@code dims}).
     */
    public static Result of(SameDiff sd, SDVariable x, int rank, long n, double eps, int... dims) {
        if (!installed()) throw new IllegalStateException("Standardization's gradient is not installed");
        if (dims.length != rank - 1) {
            // libnd4j's batchnorm takes 1-D statistics only for a single kept axis.
            throw new IllegalArgumentException("standardise over all dims but one, got " + Arrays.toString(dims)
                    + " of rank " + rank);
        }
        if (n < 1 || n > Integer.MAX_VALUE) throw new IllegalArgumentException("statistics over " + n + " elements");
        int kept = keptDim(rank, dims);
        SDVariable[] stats = new StatsOp(sd, x, dims).outputVariables();
        SDVariable mean = GradientOverrides.name(sd, stats[0], STATS_MARK);
        SDVariable y = new NormOp(sd, x, mean, stats[1], eps, kept).outputVariable();
        int[] mark = new int[dims.length + 2];
        mark[0] = rank;
        mark[1] = (int) n;
        System.arraycopy(dims, 0, mark, 2, dims.length);
        return new Result(GradientOverrides.name(sd, y, MARK, mark), mean, stats[1]);
    }

    private static int keptDim(int rank, int[] dims) {
        boolean[] reduced = new boolean[rank];
        for (int d : dims) {
            if (d < 0 || d >= rank || reduced[d]) throw new IllegalArgumentException("bad dims " + Arrays.toString(dims));
            reduced[d] = true;
        }
        for (int d = 0; d < rank; d++) if (!reduced[d]) return d;
        throw new IllegalArgumentException("no dim kept: " + Arrays.toString(dims));
    }

    /** libnd4j's moments (biased variance, reduced dims removed); its marked nodes pass back a zero. */
    public static final class StatsOp extends Moments {
        public StatsOp() {}

        StatsOp(SameDiff sd, SDVariable x, int[] dims) {
            super(sd, x, dims, false);
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            if (GradientOverrides.parse(outputVariables()[0].name(), STATS_MARK) == null) return super.doDiff(grads);
            // The normalised output's gradient already holds the statistics' paths; a scalar zero (not a zeros
            // array of x's size) is what SameDiff adds to x's gradient for this use.
            return List.of(sameDiff.constant(Nd4j.scalar(arg().dataType(), 0)));
        }
    }

    /** libnd4j's batchnorm with neither scale nor shift; its marked nodes get the gradient described above. */
    public static final class NormOp extends BatchNorm {
        public NormOp() {}

        NormOp(SameDiff sd, SDVariable x, SDVariable mean, SDVariable variance, double eps, int kept) {
            super(sd, x, mean, variance, null, null, eps, new int[]{kept});
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            int[] ints = GradientOverrides.parse(outputVariable().name(), MARK);
            if (ints == null || ints.length < 3) return super.doDiff(grads);
            int rank = ints[0];
            double n = ints[1];
            int[] dims = Arrays.copyOfRange(ints, 2, ints.length);
            SDVariable dy = grads.get(0);
            SDVariable y = outputVariable();
            SDVariable mean = arg(1), variance = arg(2);
            long[] perKept = new long[rank]; // r as a rank-`rank` array: -1 along the kept dim, 1 elsewhere
            Arrays.fill(perKept, -1);
            for (int d : dims) perKept[d] = 1;
            SDVariable r = sameDiff.math().rsqrt(variance.add(getTArgument(0))).reshape(perKept);
            SDVariable dyy = dy.mul(y);
            SDVariable m1, m2;
            long kept = ColumnSums.staticLength(arg(0)) / (long) n;
            if (dims[0] == 0 && dims[dims.length - 1] == rank - 2 && kept > 0) {
                // Kept dim last (a conv weight's output channels): sums over the leading rows as products with
                // ones, not libnd4j's strided column reduction.
                m1 = ColumnSums.of(sameDiff, dy, (long) n, kept).div(n).reshape(perKept);
                m2 = ColumnSums.of(sameDiff, dyy, (long) n, kept).div(n).reshape(perKept);
            } else {
                m1 = dy.sum(true, dims).div(n);
                m2 = dyy.sum(true, dims).div(n);
            }
            SDVariable dx = dy.sub(m1).sub(y.mul(m2)).mul(r);
            return List.of(dx, sameDiff.zerosLike(mean), sameDiff.zerosLike(variance));
        }
    }
}
