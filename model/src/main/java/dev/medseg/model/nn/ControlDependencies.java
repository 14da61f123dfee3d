package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;

import java.util.List;

/**
 * Carries a graph's op ordering constraints into its gradient function. SameDiff 1.0.0-M2.1's
 * {@code createGradFunction} clones every op of the forward graph into the new function without their control
 * dependencies, so an order the forward graph asks for ({@link FrozenMatmul}'s widening casts, which must wait for
 * their product's input) would hold in inference and be lost in training.
 */
public final class ControlDependencies {
    private ControlDependencies() {}

    /** Gives every op of {@code to} the control dependencies its namesake in {@code from} has. */
    public static void copy(SameDiff from, SameDiff to) {
        for (SameDiffOp op : from.getOps().values()) {
            List<String> onOps = op.getControlDeps(), onVars = op.getVarControlDeps();
            boolean any = (onOps != null && !onOps.isEmpty()) || (onVars != null && !onVars.isEmpty());
            if (!any || op.getOutputsOfOp() == null || op.getOutputsOfOp().isEmpty()) continue;
            SDVariable out = to.getVariable(op.getOutputsOfOp().get(0));
            if (out == null) continue; // not part of the gradient function
            if (onOps != null) {
                for (String d : onOps) {
                    SameDiffOp dep = to.getOps().get(d);
                    if (dep == null || dep.getOutputsOfOp() == null || dep.getOutputsOfOp().isEmpty()) {
                        throw new IllegalStateException("op " + op.getName() + " waits for " + d + ", which the gradient function lacks");
                    }
                    out.addControlDependency(to.getVariable(dep.getOutputsOfOp().get(0)));
                }
            }
            if (onVars != null) {
                for (String v : onVars) {
                    SDVariable dep = to.getVariable(v);
                    if (dep == null) throw new IllegalStateException("op " + op.getName() + " waits for " + v + ", which the gradient function lacks");
                    out.addControlDependency(dep);
                }
            }
        }
    }
}
