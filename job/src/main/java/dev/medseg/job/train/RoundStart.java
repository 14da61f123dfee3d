package dev.medseg.job.train;

import dev.medseg.model.train.SegmentationTrainer;
import dev.medseg.model.train.TrainState;
import org.apache.spark.broadcast.Broadcast;

import java.io.Serializable;

/**
 * Where a round's workers get the state they start from: the driver's broadcast, or the states the previous round's
 * workers left on their executors ({@code train.exchange = peers}).
 */
sealed interface RoundStart extends Serializable {
    /**
     * Loads the start state into the trainer (see {@link WorkerSteps#load}) and lets go of it: nothing refers to the
     * state once this returns, so the GC can take it back while the steps run. The result says how long the worker
     * waited for the state.
     */
    WorkerSteps.Loaded load(SegmentationTrainer t, boolean ownsSlots);

    /** Drops what this executor still keeps of the start state once the worker's steps are done. */
    void release();

    /** The driver's broadcast; {@code slotsFromZero}: it carries no slots because they are all zero (a fresh run). */
    record FromBroadcast(Broadcast<TrainState> state, boolean slotsFromZero) implements RoundStart {
        @Override
        public WorkerSteps.Loaded load(SegmentationTrainer t, boolean ownsSlots) {
            long f0 = System.nanoTime(); // the fetch alone: building a graph or loading the frozen block comes before
            TrainState start = state.value();
            double fetched = (System.nanoTime() - f0) / 1e9;
            WorkerSteps.Loaded loaded = WorkerSteps.load(t, start, ownsSlots, slotsFromZero).afterFetch(fetched);
            ExecutorModels.dropBroadcastValue(state); // the graph has its copy now
            return loaded;
        }

        @Override
        public void release() {
            ExecutorModels.dropBroadcastPieces(state);
        }
    }

    /** The mean of what the previous round's workers left, which each worker fetches and computes itself. */
    record FromPeers(PeerExchange.Left left) implements RoundStart {
        @Override
        public WorkerSteps.Loaded load(SegmentationTrainer t, boolean ownsSlots) {
            long f0 = System.nanoTime();
            TrainState start = PeerExchange.mean(left);
            double fetched = (System.nanoTime() - f0) / 1e9;
            return WorkerSteps.load(t, start, ownsSlots, false).afterFetch(fetched);
        }

        @Override
        public void release() {} // the driver removes the previous round's blocks once every worker has its mean
    }
}
