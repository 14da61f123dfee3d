package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.transforms.same.Identity;

import java.util.List;

/**
 * A value summed over the replicas of a training step: the graph node that makes halves of a batch, each run by
 * its own {@link StaticPlan} on its own thread ({@link CpuReplicas}), compute what one pass over the whole batch
 * computes where samples meet: BatchNorm's batch statistics and the Dice loss's sums over the batch.
 *
 * <p>Each replica holds the same graph; at a replica sum each waits for the others ({@link ReplicaGroup}) and all
 * get the same sum, added in replica order. Its gradient is again a replica sum: if every replica r feeds the sum S
 * its part x_r and goes on with S, the total loss L = Σ_r ℓ_r has dL/dx_r = Σ_s dℓ_s/dS.
 *
 * <p>The node is an identity whose output name carries a marker (SameDiff re-creates gradient-function ops from
 * their native op name, see {@link GradientOverrides}); a plan without a replica group refuses to run it, and
 * SameDiff's session would run it as the identity, which is why replicated graphs run as plans only.
 */
public final class ReplicaSum {
    static final String MARK = "replica_sum";

    private ReplicaSum() {}

    /** Whether SameDiff re-creates identities as {@link Op}, so marked nodes get the replica sum's gradient. */
    public static boolean installed() {
        return GradientOverrides.register("identity", Identity.class, Op.class);
    }

    /** x summed over the replicas. */
    public static SDVariable of(SameDiff sd, SDVariable x) {
        if (!installed()) throw new IllegalStateException("the replica sum's gradient is not installed");
        return GradientOverrides.name(sd, new Op(sd, x).outputVariable(), MARK);
    }

    /** Whether {@code outputName} is a replica sum's. */
    static boolean marks(String outputName) {
        return GradientOverrides.parse(outputName, MARK) != null;
    }

    /** The class SameDiff re-creates every identity as once installed: the library's gradient unless marked. */
    public static final class Op extends Identity {
        public Op() {}

        Op(SameDiff sd, SDVariable x) {
            super(sd, x);
        }

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            if (!marks(outputVariable().name())) return super.doDiff(grads);
            // SameDiff renames a gradient it is handed to "<input>-grad": the marked sum goes behind an identity
            // (a pass-through in a plan), so its own name and marker stay.
            return List.of(sameDiff.identity(of(sameDiff, grads.get(0))));
        }
    }
}
