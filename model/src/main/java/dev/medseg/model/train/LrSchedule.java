package dev.medseg.model.train;

/** Learning rate as a function of training progress, as the reference recipes define it. */
public sealed interface LrSchedule extends java.io.Serializable {

    /** The rate for the step that follows {@code iteration} completed steps, during epoch {@code epoch} (0-based). */
    double at(long iteration, int epoch);

    /** Config spelling. */
    String id();

    /** A fixed rate. */
    record Constant(double base) implements LrSchedule {
        @Override public double at(long iteration, int epoch) { return base; }
        @Override public String id() { return "constant"; }
    }

    /**
     * TransUNet's poly decay, updated after every step: base·(1 − iteration/maxIterations)^power, so the first
     * step uses the base rate. Clamped at 0 past the end.
     */
    record Poly(double base, double power, long maxIterations) implements LrSchedule {
        public Poly {
            if (maxIterations <= 0) throw new IllegalArgumentException("poly schedule needs maxIterations > 0");
        }

        @Override public double at(long iteration, int epoch) {
            double left = 1 - (double) Math.min(iteration, maxIterations) / maxIterations;
            return base * Math.pow(left, power);
        }

        @Override public String id() { return "poly"; }
    }

    /**
     * PyTorch's CosineAnnealingLR(T_max = epochs, eta_min) stepped once per epoch:
     * min + (base − min)·(1 + cos(π·epoch/epochs))/2.
     */
    record Cosine(double base, double min, int epochs) implements LrSchedule {
        public Cosine {
            if (epochs <= 0) throw new IllegalArgumentException("cosine schedule needs epochs > 0");
        }

        @Override public double at(long iteration, int epoch) {
            return min + (base - min) * (1 + Math.cos(Math.PI * epoch / epochs)) / 2;
        }

        @Override public String id() { return "cosine"; }
    }
}
