package dev.medseg.job.eval;

import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.TrainRound;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PicturesTest {
    static final int W = 12;
    static final int H = 10;

    @Test
    void overlayDrawsReferenceContourAndPredictionFillInClassColours(@TempDir Path tmp) throws Exception {
        float[] gray = new float[W * H];
        java.util.Arrays.fill(gray, 0.5f); // 128
        int[] ref = new int[W * H];
        int[] pred = new int[W * H];
        for (int y = 2; y <= 6; y++) {
            for (int x = 2; x <= 6; x++) {
                ref[y * W + x] = 1;       // class 1 square, contour = its border ring
            }
        }
        for (int y = 3; y <= 5; y++) {
            for (int x = 8; x <= 10; x++) {
                pred[y * W + x] = 2;      // class 2 predicted where the reference has nothing
            }
        }
        Path png = tmp.resolve("sub/overlay.png");
        Overlays.write(png, gray, 1, W, H, ref, pred);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(W, img.getWidth());
        assertEquals(H, img.getHeight());
        int g = 0x808080;
        assertEquals(Overlays.classColor(1), img.getRGB(2, 2) & 0xFFFFFF);   // contour corner
        assertEquals(Overlays.classColor(1), img.getRGB(6, 4) & 0xFFFFFF);   // contour side
        assertEquals(g, img.getRGB(4, 4) & 0xFFFFFF);                        // inside the outline: image
        int red = Overlays.classColor(2);
        int expected = blendByHand(g, red);
        assertEquals(expected, img.getRGB(9, 4) & 0xFFFFFF);                 // prediction fill
        assertEquals(g, img.getRGB(0, 0) & 0xFFFFFF);                        // background
        assertNotEquals(Overlays.classColor(1), Overlays.classColor(2));
    }

    private static int blendByHand(int a, int b) {
        int out = 0;
        for (int s = 16; s >= 0; s -= 8) {
            out |= (int) Math.round(((a >> s) & 255) * 0.55 + ((b >> s) & 255) * 0.45) << s;
        }
        return out;
    }

    @Test
    void overlayTakesRgbAndRefusesWrongSizes() {
        float[] rgb = new float[3 * W * H];
        for (int i = 0; i < W * H; i++) {
            rgb[i] = 1f;           // red plane
            rgb[2 * W * H + i] = Float.NaN; // blue NaN -> 0
        }
        BufferedImage img = Overlays.render(rgb, 3, W, H, null, null);
        assertEquals(0xFF0000, img.getRGB(3, 3) & 0xFFFFFF);
        var e = assertThrows(IllegalArgumentException.class, () -> Overlays.render(new float[5], 1, W, H, null, null));
        assertEquals("image has 5 values, expected 120", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Overlays.render(new float[W * H], 1, W, H, new int[3], null));
    }

    @Test
    void trainingCurvesDrawLossOnTopAndLearningRateBelow(@TempDir Path tmp) throws Exception {
        List<TrainRound> rounds = new ArrayList<>();
        for (int r = 0; r < 20; r++) {
            double loss = r == 7 ? Double.NaN : 2.0 / (1 + r);
            rounds.add(new TrainRound("run-a", r, r / 5, 10L * (r + 1), loss, 0.01 * (1 - r / 20.0), 100, 1, 0.1, 2));
        }
        Path png = tmp.resolve("curves.png");
        TrainingCurves.write(png, rounds);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(TrainingCurves.WIDTH, img.getWidth());
        assertEquals(TrainingCurves.HEIGHT, img.getHeight());
        int half = TrainingCurves.HEIGHT / 2;
        assertTrue(count(img, TrainingCurves.LOSS_COLOR, 0, half) > 200);
        assertEquals(0, count(img, TrainingCurves.LOSS_COLOR, half, TrainingCurves.HEIGHT));
        assertTrue(count(img, TrainingCurves.LR_COLOR, half, TrainingCurves.HEIGHT) > 200);
        assertEquals(0, count(img, TrainingCurves.LR_COLOR, 0, half));
        assertTrue(count(img, 0x000000, 0, TrainingCurves.HEIGHT) > 500); // axes, ticks, labels
    }

    @Test
    void trainingCurvesReadOneRunFromTheTable(@TempDir Path tmp) throws Exception {
        var spark = dev.medseg.job.tables.TestSpark.session();
        String run = tmp.resolve("run").toString();
        ResultTables.append(spark, run, ResultTable.TRAIN_ROUNDS, List.of(
                new TrainRound("a", 0, 0, 1, 1.0, 0.1, 1, 1, 1, 1), new TrainRound("a", 1, 0, 2, 0.5, 0.1, 1, 1, 1, 1),
                new TrainRound("b", 0, 0, 1, 9.0, 0.1, 1, 1, 1, 1)));
        Path png = tmp.resolve("a.png");
        TrainingCurves.write(png, ResultTables.read(spark, ResultTable.TRAIN_ROUNDS, List.of(run)), "a");
        assertEquals(TrainingCurves.WIDTH, ImageIO.read(png.toFile()).getWidth());
        var e = assertThrows(IllegalArgumentException.class, () -> TrainingCurves.write(tmp.resolve("c.png"),
                ResultTables.read(spark, ResultTable.TRAIN_ROUNDS, List.of(run)), "c"));
        assertEquals("train_rounds has no row for run c", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainingCurves.render(List.of()));
    }

    @Test
    void ticksAreRoundNumbersCoveringTheRange() {
        assertArrayEquals(new double[]{0, 0.5, 1, 1.5, 2}, TrainingCurves.ticks(0.1, 1.9, 5, false), 1e-12);
        assertArrayEquals(new double[]{0, 5, 10, 15, 20}, TrainingCurves.ticks(0, 19, 5, true), 1e-12);
    }

    private static int count(BufferedImage img, int rgb, int y0, int y1) {
        int n = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    n++;
                }
            }
        }
        return n;
    }
}
