package dev.medseg.data.synth;

import dev.medseg.data.layout.BusiLayout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * BUSI-like breast ultrasound in the published layout: {@code Dataset_BUSI_with_GT/{benign,malignant,normal}/
 * benign (1).png} (8-bit gray) with {@code benign (1)_mask.png} (0/255); every third benign or malignant case has a
 * second lesion whose mask is {@code _mask_1.png}, as BUSI ships multi-lesion cases; normal cases have empty masks.
 * Classes are shared out like BUSI's 437/210/133, at least one each when n >= 3.
 *
 * <p>Images are B-mode-like: a bright skin line, fat and glandular layers, depth attenuation and multiplicative
 * speckle. Lesions are hypoechoic: benign ones oval, wider than tall, with posterior enhancement; malignant ones
 * irregular, taller, with posterior shadowing.
 */
public final class BusiSynth {
    /** Registry name of the layout written. */
    public static final String LAYOUT = BusiLayout.NAME;
    /** Default options: 10 images, 128 x 128. */
    public static final SynthOptions DEFAULTS = new SynthOptions(10, 128, 1, 1);

    private static final String[] CLASSES = {"benign", "malignant", "normal"};

    private BusiSynth() {}

    /** Images per class (benign, malignant, normal) for {@code n} images. */
    public static int[] classSizes(int n) {
        if (n < 3) return new int[]{n, 0, 0};
        int malignant = Math.max(1, (int) Math.round(n * 210 / 780.0));
        int normal = Math.max(1, (int) Math.round(n * 133 / 780.0));
        return new int[]{n - malignant - normal, malignant, normal};
    }

    /** Writes {@code o.cases()} images with their masks under {@code root} (empty or absent). */
    public static SynthResult write(Path root, SynthOptions o) {
        SynthFiles.prepareRoot(root);
        List<Path> files = new ArrayList<>();
        int[] sizes = classSizes(o.cases());
        int s = o.size(), n = 0;
        for (int c = 0; c < 3; c++) {
            if (sizes[c] == 0) continue;
            Path dir = SynthFiles.folder(root.resolve("Dataset_BUSI_with_GT").resolve(CLASSES[c]));
            for (int k = 1; k <= sizes[c]; k++, n++) {
                String stem = CLASSES[c] + " (" + k + ")";
                CaseRandom r = new CaseRandom(o.seed(), LAYOUT + "/" + CLASSES[c], k);
                List<Blob> lesions = new ArrayList<>();
                if (c != 2) {
                    lesions.add(lesion(r, s, c == 1, 1.0));
                    if (k % 3 == 0) lesions.add(lesion(r, s, c == 1, 0.5));
                }
                Path image = dir.resolve(stem + ".png");
                SynthFiles.png(image, SynthFiles.gray(render(r, s, lesions, c == 1), s, s));
                files.add(image);
                for (int m = 0; m < Math.max(1, lesions.size()); m++) {
                    boolean[] mask = new boolean[s * s];
                    if (m < lesions.size()) {
                        Blob b = lesions.get(m);
                        for (int y = 0; y < s; y++) for (int x = 0; x < s; x++) mask[y * s + x] = b.contains(x, y, 0);
                    }
                    Path file = dir.resolve(stem + (m == 0 ? "_mask.png" : "_mask_" + m + ".png"));
                    SynthFiles.png(file, SynthFiles.mask(mask, s, s));
                    files.add(file);
                }
            }
        }
        return new SynthResult(LAYOUT, root, files, new BusiLayout());
    }

    private static Blob lesion(CaseRandom r, int s, boolean malignant, double scale) {
        double rx = s * r.uniform(0.10, 0.18) * scale;
        double ry = rx * (malignant ? r.uniform(0.8, 1.2) : r.uniform(0.5, 0.75));
        return Blob.random(r, s * r.uniform(0.3, 0.7), s * r.uniform(0.35, 0.65), 0, rx, ry, 1,
                malignant ? 5 : 2, malignant ? 0.5 : 0.12);
    }

    private static double[] render(CaseRandom r, int s, List<Blob> lesions, boolean malignant) {
        double skinDepth = s * r.uniform(0.04, 0.07), fatDepth = s * r.uniform(0.18, 0.3);
        double gland = r.uniform(110, 150), fat = r.uniform(60, 85), attenuation = r.uniform(0.3, 0.6);
        double[] v = new double[s * s];
        for (int y = 0; y < s; y++) {
            double depth = y / (double) s;
            for (int x = 0; x < s; x++) {
                double layer = y < skinDepth ? 200 : y < fatDepth + 4 * Math.sin(x * 0.05 + depth * 7) ? fat : gland;
                double value = layer * (1 - attenuation * depth);
                for (Blob b : lesions) {
                    double level = b.level(x, y, 0);
                    if (level < 1) value = 25 + 10 * level;
                    // Below the lesion: acoustic shadowing (malignant) or posterior enhancement (benign).
                    boolean below = y > b.cy() && Math.abs(x - b.cx()) < b.rx() * 0.8 && level >= 1;
                    if (below) value *= malignant ? 0.55 : 1.25;
                }
                v[y * s + x] = value;
            }
        }
        // Multiplicative speckle: Rayleigh with mean 1, made spatially correlated by a 3x3 box average like real
        // speckle grains (which span a few pixels).
        double[] rayleigh = new double[s * s];
        for (int i = 0; i < rayleigh.length; i++) rayleigh[i] = Math.hypot(r.gaussian(), r.gaussian()) / Math.sqrt(Math.PI / 2);
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                double sum = 0;
                int n = 0;
                for (int dy = -1; dy <= 1; dy++) for (int dx = -1; dx <= 1; dx++) {
                    int yy = y + dy, xx = x + dx;
                    if (yy >= 0 && yy < s && xx >= 0 && xx < s) { sum += rayleigh[yy * s + xx]; n++; }
                }
                v[y * s + x] *= 0.4 + 0.6 * sum / n + 0.25 * (rayleigh[y * s + x] - 1); // mean 1: grains plus fine noise
            }
        }
        return v;
    }
}
