package dev.medseg.model.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The two optimizers of the reference recipes with PyTorch's exact update rules, applied in place to flat
 * vectors (parameters, gradients, and the optimizer's state "slots"). Weight decay is PyTorch's L2 form (added
 * to the gradient), not AdamW's decoupled form, as {@code torch.optim.SGD/Adam(weight_decay=...)} do.
 */
public sealed interface Optimizer extends java.io.Serializable {

    /** How many flat state vectors the optimizer keeps (momentum; Adam's first and second moments). */
    int slots();

    /**
     * One update. {@code step} counts updates including this one (1 on the first), {@code lr} is this step's
     * learning rate, {@code scratch} a flat vector the optimizer may overwrite. The gradient is modified.
     */
    void update(INDArray params, INDArray grads, INDArray[] slots, INDArray scratch, double lr, long step);

    /** Config spelling, e.g. for run tables. */
    String id();

    /** torch.optim.SGD: g += wd·p; v = μ·v + g; p −= lr·v (no dampening, no Nesterov). */
    record Sgd(double momentum, double weightDecay) implements Optimizer {
        public Sgd {
            if (momentum < 0 || momentum >= 1) throw new IllegalArgumentException("SGD momentum must be in [0, 1), got " + momentum);
            if (weightDecay < 0) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        }

        @Override public int slots() { return momentum == 0 ? 0 : 1; }

        @Override public String id() { return "sgd"; }

        @Override
        public void update(INDArray p, INDArray g, INDArray[] s, INDArray scratch, double lr, long step) {
            var blas = Nd4j.getBlasWrapper().level1();
            if (weightDecay != 0) blas.axpy(p.length(), weightDecay, p, g);
            INDArray direction = g;
            if (momentum != 0) {
                // PyTorch initialises the buffer to the first gradient, which μ·0 + g equals.
                s[0].muli(momentum).addi(g);
                direction = s[0];
            }
            blas.axpy(p.length(), -lr, direction, p);
        }
    }

    /**
     * torch.optim.Adam: g += wd·p; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
     * p −= lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε).
     */
    record Adam(double beta1, double beta2, double eps, double weightDecay) implements Optimizer {
        public Adam {
            if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) {
                throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
            }
            if (eps <= 0) throw new IllegalArgumentException("Adam eps must be > 0, got " + eps);
            if (weightDecay < 0) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        }

        @Override public int slots() { return 2; }

        @Override public String id() { return "adam"; }

        @Override
        public void update(INDArray p, INDArray g, INDArray[] s, INDArray scratch, double lr, long step) {
            if (step < 1) throw new IllegalArgumentException("Adam step counts from 1, got " + step);
            var blas = Nd4j.getBlasWrapper().level1();
            if (weightDecay != 0) blas.axpy(p.length(), weightDecay, p, g);
            INDArray m = s[0], v = s[1];
            m.muli(beta1);
            blas.axpy(p.length(), 1 - beta1, g, m);
            scratch.assign(g).muli(g);
            v.muli(beta2);
            blas.axpy(p.length(), 1 - beta2, scratch, v);
            double bias1 = 1 - Math.pow(beta1, step), bias2 = 1 - Math.pow(beta2, step);
            scratch.assign(v);
            Transforms.sqrt(scratch, false).divi(Math.sqrt(bias2)).addi(eps);
            scratch.rdivi(m); // m / denom
            blas.axpy(p.length(), -lr / bias1, scratch, p);
        }
    }
}
