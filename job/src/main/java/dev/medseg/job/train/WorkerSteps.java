package dev.medseg.job.train;

import dev.medseg.model.train.LrSchedule;
import dev.medseg.model.train.SegmentationTrainer;
import dev.medseg.model.train.TrainState;

import java.io.Serializable;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A worker's share of one round: {@code steps} optimizer steps on its own samples, starting from the state it was
 * given. Plain Java, no Spark: the Spark task calls it, and so can a single-process run, which is how the tests
 * check that distributed training with one worker equals plain training.
 */
public final class WorkerSteps {
    private WorkerSteps() {}

    /**
     * A worker's result: its state after the steps (without optimizer slots when it keeps them) and what the steps
     * cost; {@code slotsRestarted} when it had to start its optimizer slots from zero; {@code stateFetchSeconds} how
     * long the worker waited for its start state before loading it (a broadcast's fetch; 0 without one).
     */
    public record Result(int worker, TrainState state, double lossSum, int steps, long images, double computeSeconds,
                         boolean slotsRestarted, double stateFetchSeconds) implements Serializable {
        public Result(int worker, TrainState state, double lossSum, int steps, long images, double computeSeconds) {
            this(worker, state, lossSum, steps, images, computeSeconds, false);
        }

        public Result(int worker, TrainState state, double lossSum, int steps, long images, double computeSeconds,
                      boolean slotsRestarted) {
            this(worker, state, lossSum, steps, images, computeSeconds, slotsRestarted, 0);
        }
    }

    /** The global schedule of a run, the same on every worker. */
    public record Plan(long seed, int batchSize, long totalIterations, long iterationsPerEpoch, LrSchedule schedule,
                       Augmentation.Kind augment) implements Serializable {
        public int epochOf(long iteration) {
            return (int) (iteration / iterationsPerEpoch);
        }

        public double lr(long iteration) {
            return schedule.at(iteration, epochOf(iteration));
        }
    }

    /**
     * Loads {@code start} into the trainer and trains iterations {@code first}, {@code first+1}, ... (at most
     * {@code steps}, never past the plan's end) on {@code samples} (sorted by key); returns the whole state.
     */
    public static Result run(SegmentationTrainer trainer, TrainState start, List<SliceSample> samples, int worker,
                             Plan plan, long first, int steps) {
        return run(trainer, start, false, samples, worker, plan, first, steps, true);
    }

    /**
     * As {@link #run(SegmentationTrainer, TrainState, List, int, Plan, long, int)}, for a worker that may keep its
     * optimizer slots between rounds: {@link #load} then {@link #train}.
     */
    public static Result run(SegmentationTrainer trainer, TrainState start, boolean ownsSlots, List<SliceSample> samples,
                             int worker, Plan plan, long first, int steps, boolean returnSlots) {
        return train(trainer, load(trainer, start, ownsSlots), samples, worker, plan, first, steps, returnSlots);
    }

    /**
     * A state loaded into a trainer: when loading began, whether the optimizer slots restarted from zero, and how
     * long the worker waited for the state before (0 unless {@link #afterFetch} says).
     */
    public record Loaded(long startNanos, boolean slotsRestarted, double stateFetchSeconds) {
        public Loaded(long startNanos, boolean slotsRestarted) {
            this(startNanos, slotsRestarted, 0);
        }

        /** The same load, after a wait of {@code seconds} for its state (a broadcast's fetch). */
        public Loaded afterFetch(double seconds) {
            return new Loaded(startNanos, slotsRestarted, seconds);
        }
    }

    /**
     * Loads {@code start} into the trainer (copies it: the caller may let go of it). A {@code start} without slots
     * leaves the trainer's own, which must be this worker's from the end of its previous round ({@code ownsSlots});
     * if they are not, the slots restart from zero and the result will say so.
     */
    public static Loaded load(SegmentationTrainer trainer, TrainState start, boolean ownsSlots) {
        return load(trainer, start, ownsSlots, false);
    }

    /**
     * As {@link #load(SegmentationTrainer, TrainState, boolean)}; {@code slotsFromZero} says that a {@code start}
     * without slots stands for all-zero slots (a fresh run's first round, which sends no zeros): the trainer's are
     * then set to zero, which is not a restart.
     */
    public static Loaded load(SegmentationTrainer trainer, TrainState start, boolean ownsSlots, boolean slotsFromZero) {
        long t0 = System.nanoTime();
        boolean restarted = false;
        if (start.slots().length == 0 && trainer.slotCount() > 0) {
            trainer.loadKeepingSlots(start);
            if (slotsFromZero) {
                trainer.resetSlots();
            } else if (!ownsSlots) {
                trainer.resetSlots();
                restarted = true;
            }
        } else {
            trainer.load(start);
        }
        return new Loaded(t0, restarted);
    }

    /**
     * Trains iterations {@code first}, {@code first+1}, ... (at most {@code steps}, never past the plan's end) on
     * {@code samples} (sorted by key) from the state {@link #load} put in the trainer. {@code returnSlots} false
     * sends the state back without the optimizer slots. Compute time counts from the start of the load.
     */
    public static Result train(SegmentationTrainer trainer, Loaded loaded, List<SliceSample> samples, int worker,
                               Plan plan, long first, int steps, boolean returnSlots) {
        int b = plan.batchSize();
        int c = trainer.model().inChannels(), s = trainer.model().imageSize();
        int imageLen = c * s * s, labelLen = s * s;
        float[] images = new float[b * imageLen];
        byte[] labels = new byte[b * labelLen];
        double lossSum = 0;
        int done = 0;
        for (long it = first; it < first + steps && it < plan.totalIterations(); it++) {
            int[] picks = BatchPlan.batch(plan.seed(), worker, samples.size(), b, it);
            for (int j = 0; j < b; j++) {
                SliceSample x = samples.get(picks[j]);
                float[] img = x.image().clone();
                byte[] lbl = x.label().clone();
                Augmentation.apply(plan.augment(), img, lbl, c, s, new SplittableRandom(Seeds.mix(plan.seed(), 0xA06, worker, it, j)));
                System.arraycopy(img, 0, images, j * imageLen, imageLen);
                System.arraycopy(lbl, 0, labels, j * labelLen, labelLen);
            }
            lossSum += trainer.step(images, labels, plan.lr(it), Seeds.mix(plan.seed(), 0xD50, worker, it)).loss();
            done++;
        }
        TrainState end = returnSlots ? trainer.state() : trainer.stateWithoutSlots();
        return new Result(worker, end, lossSum, done, (long) done * b, (System.nanoTime() - loaded.startNanos()) / 1e9,
                loaded.slotsRestarted(), loaded.stateFetchSeconds());
    }
}
