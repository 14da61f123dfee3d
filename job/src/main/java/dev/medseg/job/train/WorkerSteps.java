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

    /** A worker's result: its state after the steps and what the steps cost. */
    public record Result(int worker, TrainState state, double lossSum, int steps, long images, double computeSeconds)
            implements Serializable {}

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
     * {@code steps}, never past the plan's end) on {@code samples} (sorted by key).
     */
    public static Result run(SegmentationTrainer trainer, TrainState start, List<SliceSample> samples, int worker,
                             Plan plan, long first, int steps) {
        long t0 = System.nanoTime();
        trainer.load(start);
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
        return new Result(worker, trainer.state(), lossSum, done, (long) done * b, (System.nanoTime() - t0) / 1e9);
    }
}
