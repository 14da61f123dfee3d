package dev.medseg.job.eval;

import dev.medseg.job.tables.TrainRound;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * A training-curve picture of one run: loss per round (top panel) and learning rate per round (bottom panel),
 * each with its own axes, ticks and labels. Non-finite values (a diverged loss) are left out of the line.
 */
public final class TrainingCurves {
    /** Picture width in pixels. */
    public static final int WIDTH = 900;
    /** Picture height in pixels. */
    public static final int HEIGHT = 640;
    /** Colour of the loss line (0xRRGGBB). */
    public static final int LOSS_COLOR = 0x1F77B4;
    /** Colour of the learning-rate line (0xRRGGBB). */
    public static final int LR_COLOR = 0xD62728;

    private static final int LEFT = 90;
    private static final int RIGHT = 25;
    private static final int TOP = 35;
    private static final int BOTTOM = 45;

    private TrainingCurves() {
    }

    /** Reads the rounds of {@code runId} from a {@code train_rounds} Dataset and writes the picture. */
    public static void write(Path png, Dataset<Row> trainRounds, String runId) {
        List<TrainRound> rounds = new ArrayList<>();
        for (Row r : trainRounds.where(functions.col("run_id").equalTo(runId)).orderBy("round").collectAsList()) {
            rounds.add(TrainRound.fromRow(r));
        }
        if (rounds.isEmpty()) {
            throw new IllegalArgumentException("train_rounds has no row for run " + runId);
        }
        write(png, rounds);
    }

    /** Writes the picture of {@code rounds} (one run) as a PNG, creating parent folders. */
    public static void write(Path png, List<TrainRound> rounds) {
        BufferedImage img = render(rounds);
        try {
            Path parent = png.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (!ImageIO.write(img, "png", png.toFile())) {
                throw new IOException("no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write training curves " + png, e);
        }
    }

    /** Draws the two panels for {@code rounds}, which must be non-empty and of one run. */
    public static BufferedImage render(List<TrainRound> rounds) {
        if (rounds.isEmpty()) {
            throw new IllegalArgumentException("no training round to plot");
        }
        String runId = rounds.get(0).runId();
        if (rounds.stream().anyMatch(r -> !r.runId().equals(runId))) {
            throw new IllegalArgumentException("rounds of several runs; plot one run at a time");
        }
        List<TrainRound> sorted = rounds.stream().sorted(Comparator.comparingInt(TrainRound::round)).toList();
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            int half = HEIGHT / 2;
            panel(g, 0, half, sorted, TrainRound::loss, "run " + runId + ": training loss", "loss", LOSS_COLOR);
            panel(g, half, HEIGHT - half, sorted, TrainRound::learningRate, "learning rate", "learning rate", LR_COLOR);
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void panel(Graphics2D g, int y0, int h, List<TrainRound> rounds, ToDoubleFunction<TrainRound> value,
                              String title, String yLabel, int color) {
        int px = LEFT;
        int py = y0 + TOP;
        int pw = WIDTH - LEFT - RIGHT;
        int ph = h - TOP - BOTTOM;
        double xMin = rounds.get(0).round();
        double xMax = rounds.get(rounds.size() - 1).round();
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (TrainRound r : rounds) {
            double v = value.applyAsDouble(r);
            if (Double.isFinite(v)) {
                yMin = Math.min(yMin, v);
                yMax = Math.max(yMax, v);
            }
        }
        if (yMin > yMax) { // nothing finite to draw: an empty, labelled frame says so
            yMin = 0;
            yMax = 1;
        }
        double[] xr = widen(xMin, xMax);
        double[] yr = widen(yMin, yMax);
        double[] xTicks = ticks(xr[0], xr[1], 8, true);
        double[] yTicks = ticks(yr[0], yr[1], 5, false);
        xr = new double[]{Math.min(xr[0], xTicks[0]), Math.max(xr[1], xTicks[xTicks.length - 1])};
        yr = new double[]{Math.min(yr[0], yTicks[0]), Math.max(yr[1], yTicks[yTicks.length - 1])};

        FontMetrics fm = g.getFontMetrics();
        g.setColor(new Color(0xE6E6E6));
        for (double t : yTicks) {
            int y = toPixel(t, yr, py + ph, -ph);
            g.drawLine(px, y, px + pw, y);
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(px, py, pw, ph);
        for (double t : xTicks) {
            int x = toPixel(t, xr, px, pw);
            g.drawLine(x, py + ph, x, py + ph + 5);
            String s = label(t);
            g.drawString(s, x - fm.stringWidth(s) / 2, py + ph + 5 + fm.getAscent());
        }
        for (double t : yTicks) {
            int y = toPixel(t, yr, py + ph, -ph);
            g.drawLine(px - 5, y, px, y);
            String s = label(t);
            g.drawString(s, px - 8 - fm.stringWidth(s), y + fm.getAscent() / 2 - 1);
        }
        g.drawString(title, px + (pw - fm.stringWidth(title)) / 2, py - 10);
        String xLabel = "round";
        g.drawString(xLabel, px + (pw - fm.stringWidth(xLabel)) / 2, py + ph + 5 + fm.getAscent() + fm.getHeight());
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString(yLabel, -(py + ph / 2 + fm.stringWidth(yLabel) / 2), fm.getAscent() + 4);
        rotated.dispose();

        g.setColor(new Color(color));
        g.setStroke(new BasicStroke(2f));
        Path2D.Double line = new Path2D.Double();
        boolean pen = false;
        for (TrainRound r : rounds) {
            double v = value.applyAsDouble(r);
            if (!Double.isFinite(v)) {
                pen = false;
                continue;
            }
            double x = px + (r.round() - xr[0]) / (xr[1] - xr[0]) * pw;
            double y = py + ph - (v - yr[0]) / (yr[1] - yr[0]) * ph;
            if (pen) {
                line.lineTo(x, y);
            } else {
                line.moveTo(x, y);
                // a lone point would be invisible as a path: mark every start with a dot
                g.fillOval((int) Math.round(x) - 2, (int) Math.round(y) - 2, 5, 5);
            }
            pen = true;
        }
        g.draw(line);
    }

    private static double[] widen(double lo, double hi) {
        if (hi > lo) {
            return new double[]{lo, hi};
        }
        double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
        return new double[]{lo - pad, hi + pad};
    }

    /** Round-number ticks covering [lo, hi], about {@code count} of them; whole numbers only if asked. */
    static double[] ticks(double lo, double hi, int count, boolean whole) {
        double step = niceStep((hi - lo) / Math.max(1, count - 1));
        if (whole) {
            step = Math.max(1, Math.round(step));
        }
        double first = Math.floor(lo / step) * step;
        double last = Math.ceil(hi / step) * step;
        int n = (int) Math.round((last - first) / step) + 1;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = first + i * step;
        }
        return out;
    }

    private static double niceStep(double raw) {
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / mag;
        double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
        return nice * mag;
    }

    private static int toPixel(double v, double[] range, int origin, int length) {
        return (int) Math.round(origin + (v - range[0]) / (range[1] - range[0]) * length);
    }

    private static String label(double v) {
        if (Math.abs(v) < 1e-12) {
            return "0";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e6) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
