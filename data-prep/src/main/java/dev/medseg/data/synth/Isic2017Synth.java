package dev.medseg.data.synth;

import dev.medseg.data.layout.Isic2017Layout;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * ISIC 2017-like dermoscopy in the published layout: {@code ISIC-2017_Training_Data/ISIC_0000000.jpg} (RGB JPEG)
 * with {@code ISIC-2017_Training_Part1_GroundTruth/ISIC_0000000_segmentation.png} (0/255), and the same for
 * {@code _Validation_} and {@code _Test_v2_}. Cases are shared out like the official 2000/150/600 split, at least one
 * per subset. Images are size x 3/4 size: skin tone with shading and a dark vignette, a brown lesion with an
 * irregular smooth outline, darker core and pigment mottling, and a few hairs that cross the lesion but not the mask.
 */
public final class Isic2017Synth {
    /** Registry name of the layout written. */
    public static final String LAYOUT = Isic2017Layout.NAME;
    /** Default options: 12 images, 128 px wide. */
    public static final SynthOptions DEFAULTS = new SynthOptions(12, 128, 1, 1);

    private static final String[] SUBSETS = {"Training", "Validation", "Test_v2"};

    private Isic2017Synth() {}

    /** Images per subset (training, validation, test) for {@code n} images: 2000:150:600, at least 1 each when n >= 3. */
    public static int[] subsetSizes(int n) {
        if (n < 3) return new int[]{n, 0, 0};
        int val = Math.max(1, (int) Math.round(n * 150 / 2750.0));
        int test = Math.max(1, (int) Math.round(n * 600 / 2750.0));
        return new int[]{n - val - test, val, test};
    }

    /** Writes {@code o.cases()} image/mask pairs under {@code root} (empty or absent). */
    public static SynthResult write(Path root, SynthOptions o) {
        SynthFiles.prepareRoot(root);
        List<Path> files = new ArrayList<>();
        int[] sizes = subsetSizes(o.cases());
        int id = 0;
        for (int s = 0; s < 3; s++) {
            if (sizes[s] == 0) continue;
            Path data = SynthFiles.folder(root.resolve("ISIC-2017_" + SUBSETS[s] + "_Data"));
            Path truth = SynthFiles.folder(root.resolve("ISIC-2017_" + SUBSETS[s] + "_Part1_GroundTruth"));
            for (int k = 0; k < sizes[s]; k++, id++) {
                String name = String.format("ISIC_%07d", id);
                int w = o.size(), h = Math.max(24, o.size() * 3 / 4);
                CaseRandom r = new CaseRandom(o.seed(), LAYOUT, id);
                boolean[] mask = new boolean[w * h];
                BufferedImage rgb = render(r, w, h, mask);
                Path jpg = data.resolve(name + ".jpg"), png = truth.resolve(name + "_segmentation.png");
                SynthFiles.jpeg(jpg, rgb);
                SynthFiles.png(png, SynthFiles.mask(mask, w, h));
                files.add(jpg);
                files.add(png);
            }
        }
        return new SynthResult(LAYOUT, root, files, new Isic2017Layout());
    }

    private static BufferedImage render(CaseRandom r, int w, int h, boolean[] mask) {
        double[] skin = {r.uniform(195, 235), r.uniform(145, 185), r.uniform(120, 160)};
        double[] lesion = {r.uniform(95, 150), r.uniform(55, 95), r.uniform(35, 70)};
        double[] core = {lesion[0] * 0.55, lesion[1] * 0.5, lesion[2] * 0.55};
        double radius = h * r.uniform(0.18, 0.32);
        Blob outline = Blob.random(r, w * r.uniform(0.38, 0.62), h * r.uniform(0.38, 0.62), 0,
                radius * r.uniform(0.9, 1.3), radius * r.uniform(0.75, 1.1), 1, 4, 0.35);
        Blob inner = new Blob(outline.cx() + r.uniform(-0.2, 0.2) * radius, outline.cy() + r.uniform(-0.2, 0.2) * radius, 0,
                outline.rx() * 0.45, outline.ry() * 0.45, 1, new double[]{0.1}, new double[]{r.uniform(0, 6.3)});
        double vignette = r.uniform(0.15, 0.45);
        int hairs = r.between(0, 3);
        double[][] hair = new double[hairs][];
        for (int k = 0; k < hairs; k++) {
            double angle = r.uniform(0, Math.PI);
            hair[k] = new double[]{Math.cos(angle), Math.sin(angle), r.uniform(0.2, 0.8) * w * Math.cos(angle) + r.uniform(0.2, 0.8) * h * Math.sin(angle)};
        }
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double u = (x - w / 2.0) / (w / 2.0), v = (y - h / 2.0) / (h / 2.0);
                double shade = 1 - vignette * Math.pow(Math.min(1.5, (u * u + v * v) / 2), 2) - 0.05 * u;
                double level = outline.level(x, y, 0);
                mask[y * w + x] = level < 1;
                // Soft edge: the pigment fades in over the outer 15 % of the radius, fully inside the mask.
                double a = level >= 1 ? 0 : Math.min(1, (1 - level) / 0.15);
                double c = inner.level(x, y, 0) < 1 ? 1 : 0;
                double mottle = 1 + 0.08 * Math.sin(x * 0.9 + y * 0.3) * Math.sin(y * 0.8 - x * 0.2);
                int rgb = 0;
                for (int ch = 0; ch < 3; ch++) {
                    double pigment = lesion[ch] * (1 - c) + core[ch] * c;
                    double value = (skin[ch] * (1 - a) + pigment * mottle * a) * shade + r.normal(0, 4);
                    rgb = (rgb << 8) | SynthFiles.clamp255(value);
                }
                for (double[] hr : hair) {
                    if (Math.abs(x * hr[0] + y * hr[1] - hr[2]) < 0.7) rgb = 0x3a2a20;
                }
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }
}
