package dev.medseg.job.train;

import dev.medseg.job.config.Settings;
import dev.medseg.model.train.LrSchedule;
import dev.medseg.model.train.Optimizer;
import dev.medseg.model.train.SegmentationLoss;

import java.io.Serializable;

/**
 * The {@code train} section of a run's config, typed and checked. Serializable because executors need it.
 * The learning-rate schedule needs the data size, so it is made by {@link #schedule(long, int)}.
 */
public record TrainSettings(String dataset, String trainSplit, String valSplit, SegmentationLoss loss,
                            String optimizerName, double lr, double momentum, double weightDecay, double beta1,
                            double beta2, double eps, String scheduleName, double power, double minLr, int epochs,
                            int workers, int batchSizePerWorker, int averagingFrequency, boolean averageOptimizerState,
                            long exchangePieceBytes, String exchange, boolean exchangeFiles,
                            Augmentation.Kind augment,
                            int validateEvery, int checkpointEvery, int keepCheckpoints, String bestMetric,
                            int maxRounds, String init, long seed) implements Serializable {

    /** Reads and checks every {@code train.*} key. */
    public static TrainSettings from(Settings s) {
        SegmentationLoss loss;
        try {
            loss = SegmentationLoss.parse(s.oneOf("train.loss", "ce-dice", "bce-dice"));
        } catch (IllegalArgumentException e) {
            throw s.bad("train.loss", e.getMessage());
        }
        return new TrainSettings(
                s.string("train.dataset").trim(), s.string("train.trainSplit").trim(), s.string("train.valSplit").trim(),
                loss,
                s.oneOf("train.optimizer.name", "sgd", "adam"),
                s.doubleIn("train.optimizer.lr", 0, 10),
                s.doubleIn("train.optimizer.momentum", 0, 0.999999),
                s.doubleIn("train.optimizer.weightDecay", 0, 1),
                s.doubleIn("train.optimizer.beta1", 0, 0.999999),
                s.doubleIn("train.optimizer.beta2", 0, 0.999999),
                s.doubleIn("train.optimizer.eps", 1e-12, 1),
                s.oneOf("train.schedule.name", "poly", "cosine", "constant"),
                s.doubleIn("train.schedule.power", 0, 10),
                s.doubleIn("train.schedule.minLr", 0, 10),
                s.intIn("train.epochs", 1, 1_000_000),
                s.intIn("train.workers", 1, 4096),
                s.intIn("train.batchSizePerWorker", 1, 4096),
                s.intIn("train.averagingFrequency", 1, 1_000_000),
                s.bool("train.averageOptimizerState"),
                s.bytesIn("train.exchangePieceSize", 1024, 1L << 30),
                s.oneOf("train.exchange", "driver", "peers"),
                s.bool("train.exchangeFiles"),
                Augmentation.Kind.parse(s.oneOf("train.augment", "transunet", "flips", "none")),
                s.intIn("train.validateEvery", 0, Integer.MAX_VALUE),
                s.intIn("train.checkpointEvery", 0, Integer.MAX_VALUE),
                s.intIn("train.keepCheckpoints", 0, 1000),
                s.oneOf("train.bestMetric", "dice", "iou"),
                s.intIn("train.maxRounds", 0, Integer.MAX_VALUE),
                s.string("train.init").trim(),
                s.longValue("seed"));
    }

    /** Whether a checkpoint is written after round {@code round} (0-based) of {@code totalRounds}. */
    public boolean checkpointsAfter(int round, int totalRounds) {
        return round == totalRounds - 1 || (checkpointEvery > 0 && (round + 1) % checkpointEvery == 0);
    }

    /**
     * Whether the workers of round {@code round} leave their state on their executors for the next round's workers
     * ({@code train.exchange = peers}) instead of sending it to the driver: in every round but those after which the
     * driver needs the state (a checkpoint, a validation, the last round).
     */
    public boolean leavesStateOnExecutors(int round, int totalRounds, boolean validates) {
        return exchange.equals("peers") && round < totalRounds - 1 && !checkpointsAfter(round, totalRounds)
                && !(validates && validatesAfter(round, totalRounds));
    }

    /** Whether the model is validated after round {@code round}, when the run has a validation split. */
    public boolean validatesAfter(int round, int totalRounds) {
        return round == totalRounds - 1 || (validateEvery > 0 && (round + 1) % validateEvery == 0);
    }

    /**
     * Whether round {@code round} brings the workers' optimizer slots back to be averaged: every round when
     * {@link #averageOptimizerState}; otherwise only rounds after which a checkpoint may be written (round
     * checkpoints, and validations, which may write best.safetensors), so every checkpoint holds averaged slots
     * and a resumed run goes on exactly as an uninterrupted one.
     */
    public boolean gathersSlots(int round, int totalRounds, boolean validates) {
        return averageOptimizerState || checkpointsAfter(round, totalRounds)
                || (validates && validatesAfter(round, totalRounds));
    }

    /** The optimizer with PyTorch's semantics. */
    public Optimizer optimizer() {
        return optimizerName.equals("sgd") ? new Optimizer.Sgd(momentum, weightDecay)
                : new Optimizer.Adam(beta1, beta2, eps, weightDecay);
    }

    /** The schedule for a run of {@code totalIterations} steps over {@link #epochs} epochs. */
    public LrSchedule schedule(long totalIterations, int epochs) {
        return switch (scheduleName) {
            case "poly" -> new LrSchedule.Poly(lr, power, totalIterations);
            case "cosine" -> new LrSchedule.Cosine(lr, minLr, epochs);
            default -> new LrSchedule.Constant(lr);
        };
    }
}
