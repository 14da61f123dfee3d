package dev.medseg.data.synth;

import dev.medseg.data.io.LabelVolume;
import dev.medseg.data.io.NiftiDatatype;
import dev.medseg.data.io.NiftiWriter;
import dev.medseg.data.io.Volume;
import dev.medseg.data.io.VolumeGeometry;
import dev.medseg.data.layout.AcdcLayout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * ACDC-like short-axis cine MRI in the published layout: {@code training/patient031/patient031_frame01.nii.gz} (ED)
 * and {@code patient031_frameNN.nii.gz} (ES), each with {@code _gt} (uint8: 1 right ventricle, 2 myocardium, 3 left
 * ventricle cavity) and an {@code Info.cfg} (ED, ES, Group, Height, NbFrame, Weight). The 4-D cine file is not written.
 *
 * <p>Images are int16 with MRI-like arbitrary intensities: bright blood pools, dark myocardium ring, grey tissue,
 * dark lungs either side, bright fat at the body rim, ~0 outside, Rician-like noise. The heart shrinks toward the
 * apex (slice 0), where the RV disappears; at ES the cavity is smaller and the wall thicker. Group follows ACDC's
 * patient blocks (001-020 DCM, 021-040 HCM, 041-060 MINF, 061-080 NOR, 081-100 RV) and shapes the heart a little.
 * In-plane spacing 320 mm / size, slices 10 mm, LPS-like affine.
 */
public final class AcdcSynth {
    /** Registry name of the layout written. */
    public static final String LAYOUT = AcdcLayout.NAME;
    /** Default options: 6 patients (two per split of the LLM-TransUNet ranges), 96 x 96 x 8. */
    public static final SynthOptions DEFAULTS = new SynthOptions(6, 96, 8, 1);

    private static final double SLICE_MM = 10.0;
    private static final String[] GROUPS = {"DCM", "HCM", "MINF", "NOR", "RV"};

    private AcdcSynth() {}

    /**
     * Patient numbers for {@code n} patients: the LLM-TransUNet test (1-20), validation (21-30) and train (31-100)
     * ranges taken in turn, so any n >= 3 has all three splits; then 101.. would be testing-only, so n is capped at 100.
     */
    public static List<Integer> patients(int n) {
        if (n > 100) throw new IllegalArgumentException("ACDC has 100 training patients; asked for " + n);
        List<Integer> out = new ArrayList<>();
        int test = 1, val = 21, train = 31;
        while (out.size() < n) {
            if (test <= 20) out.add(test++);
            if (out.size() < n && val <= 30) out.add(val++);
            if (out.size() < n && train <= 100) out.add(train++);
        }
        return out;
    }

    /** Writes {@code o.cases()} patients (two labelled frames each) under {@code root} (empty or absent). */
    public static SynthResult write(Path root, SynthOptions o) {
        SynthFiles.prepareRoot(root);
        List<Path> files = new ArrayList<>();
        for (int patient : patients(o.cases())) {
            String id = String.format("patient%03d", patient);
            Path dir = SynthFiles.folder(root.resolve("training").resolve(id));
            CaseRandom r = new CaseRandom(o.seed(), LAYOUT, patient);
            String group = GROUPS[(patient - 1) / 20];
            int frames = r.between(25, 35), es = r.between(9, 15);
            Heart heart = Heart.random(r, o.size(), o.depth(), group);
            Path info = dir.resolve("Info.cfg");
            SynthFiles.text(info, String.format(Locale.ROOT, "ED: 1\nES: %d\nGroup: %s\nHeight: %.1f\nNbFrame: %d\nWeight: %.1f\n",
                    es, group, r.uniform(150, 195), frames, r.uniform(50, 110)));
            files.add(info);
            for (int frame : new int[]{1, es}) {
                String stem = String.format("%s_frame%02d", id, frame);
                Frame f = heart.frame(r, frame == 1 ? 1.0 : r.uniform(0.55, 0.75));
                Path image = dir.resolve(stem + ".nii.gz"), gt = dir.resolve(stem + "_gt.nii.gz");
                NiftiWriter.write(image, new Volume(f.image(), heart.geometry(), "int16", image.toString()), NiftiDatatype.INT16);
                NiftiWriter.write(gt, new LabelVolume(f.labels(), heart.geometry(), "uint8", gt.toString()), NiftiDatatype.UINT8);
                files.add(image);
                files.add(gt);
            }
        }
        return new SynthResult(LAYOUT, root, files, AcdcLayout.llmTransUNet());
    }

    private record Frame(float[] image, int[] labels) {}

    /** One patient's heart; {@link #frame} renders it at a given cavity scale (1 = end-diastole). */
    private record Heart(VolumeGeometry geometry, double cx, double cy, double lv, double wall, double rv,
                         double bodyRx, double bodyRy, double blood, double muscle, double tissue, double[] harm) {

        static Heart random(CaseRandom r, int size, int depth, String group) {
            double sxy = 320.0 / size;
            double[][] affine = {{-sxy, 0, 0, 160}, {0, -sxy, 0, 160}, {0, 0, SLICE_MM, 0}, {0, 0, 0, 1}};
            VolumeGeometry g = new VolumeGeometry(size, size, depth, new double[]{sxy, sxy, SLICE_MM}, affine);
            double lv = size * r.uniform(0.075, 0.09) * (group.equals("DCM") ? 1.3 : 1.0);
            double wall = size * r.uniform(0.028, 0.036) * (group.equals("HCM") ? 1.5 : 1.0);
            double rv = size * r.uniform(0.09, 0.11) * (group.equals("RV") ? 1.35 : 1.0);
            double[] harm = {r.uniform(0, 0.06), r.uniform(0, 6.3), r.uniform(0, 0.04), r.uniform(0, 6.3)};
            return new Heart(g, size * r.uniform(0.52, 0.58), size * r.uniform(0.45, 0.52), lv, wall, rv,
                    size * r.uniform(0.40, 0.45), size * r.uniform(0.30, 0.36), r.uniform(230, 290), r.uniform(70, 100),
                    r.uniform(110, 140), harm);
        }

        Frame frame(CaseRandom r, double contraction) {
            int nx = geometry.nx(), ny = geometry.ny(), nz = geometry.nz();
            float[] image = new float[geometry.voxelCount()];
            int[] labels = new int[geometry.voxelCount()];
            double bcx = nx / 2.0, bcy = ny / 2.0;
            for (int z = 0; z < nz; z++) {
                double s = nz == 1 ? 1 : z / (double) (nz - 1); // 0 = apex, 1 = base
                double taper = Math.sqrt(0.3 + 0.7 * s);
                double cavity = lv * taper * contraction;
                double epi = cavity + wall * (contraction < 1 ? 1.35 : 1.0) * (0.9 + 0.2 * s);
                if (s < 0.12) cavity *= 0.4; // the apex: almost all muscle
                double rvCx = cx - epi - 0.55 * rv, rvR = rv * taper * Math.sqrt(contraction);
                boolean rvPresent = s > 0.25;
                for (int y = 0; y < ny; y++) {
                    for (int x = 0; x < nx; x++) {
                        int i = geometry.index(x, y, z);
                        double ex = (x - bcx) / bodyRx, ey = (y - bcy) / bodyRy;
                        double body = Math.sqrt(ex * ex + ey * ey);
                        double v;
                        if (body >= 1) {
                            v = 0;
                        } else {
                            v = body > 0.9 ? 220 : tissue;
                            double lx = (Math.abs(ex) - 0.58) / 0.26, ly = ey / 0.62; // two lungs, either side
                            if (lx * lx + ly * ly < 1) v = 20;
                            double dx = x - cx, dy = y - cy, t = Math.atan2(dy, dx);
                            double d = Math.hypot(dx, dy) / (1 + harm[0] * Math.sin(2 * t + harm[1]) + harm[2] * Math.sin(3 * t + harm[3]));
                            double rvd = Math.hypot((x - rvCx) / 1.1, (y - cy) / 0.8);
                            if (rvPresent && rvd < rvR && d >= epi + 1) {
                                labels[i] = 1;
                                v = blood * 0.95;
                            }
                            if (d < epi) {
                                labels[i] = 2;
                                v = muscle;
                            }
                            if (d < cavity) {
                                labels[i] = 3;
                                v = blood;
                            }
                        }
                        // Rician-like: magnitude of signal plus complex Gaussian noise.
                        double re = v + r.normal(0, 8), im = r.normal(0, 8);
                        image[i] = (float) Math.rint(Math.hypot(re, im));
                    }
                }
            }
            return new Frame(image, labels);
        }
    }
}
