package dev.medseg.data.synth;

import dev.medseg.data.io.LabelVolume;
import dev.medseg.data.io.NiftiDatatype;
import dev.medseg.data.io.NiftiWriter;
import dev.medseg.data.io.Volume;
import dev.medseg.data.io.VolumeGeometry;
import dev.medseg.data.layout.Split;
import dev.medseg.data.layout.SynapseLayout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * BTCV / Synapse-like abdominal CT in the published layout: {@code RawData/Training/img/img0005.nii.gz} (int16 HU)
 * and {@code RawData/Training/label/label0005.nii.gz} (uint8, ORIGINAL BTCV ids: 1 spleen, 2 right kidney, 3 left
 * kidney, 4 gallbladder, 5 esophagus, 6 liver, 7 stomach, 8 aorta, 9 IVC, 11 pancreas; the Synapse remap keeps 8).
 *
 * <p>Anatomy in patient coordinates: the voxel axes run toward the patient's left (x), posterior (y) and superior (z),
 * stored with an LPS-like affine diag(-sx, -sy, sz) as DICOM-converted BTCV volumes are, so the liver lies at small x
 * and the spine at large y. Air is -1000 HU, the body an ellipse of soft tissue (~40 HU) with a fat rim (~-100 HU),
 * a vertebral body ~700 HU, organs with contrast-phase HU values; Gaussian noise sd 12 HU. In-plane spacing is
 * 0.7 mm x 512/size (the 358-mm BTCV field of view at any size), slices 3 mm. Organ positions, sizes, outlines
 * and HU vary per case.
 */
public final class SynapseSynth {
    /** Registry name of the layout written. */
    public static final String LAYOUT = SynapseLayout.NAME;
    /** Default options: 30 cases (TransUNet's 18 train + 12 test), 96 x 96 x 24. */
    public static final SynthOptions DEFAULTS = new SynthOptions(30, 96, 24, 1);

    private static final double SLICE_MM = 3.0;

    /** One organ: BTCV id, centre and radii in body-relative units (x toward patient left, y posterior), z span, HU. */
    private record Organ(int id, double x, double y, double rx, double ry, double z, double rz, double hu, double irregular) {}

    // z and rz are fractions of the slab height (0 = inferior). Painted in this order; later ones win overlaps.
    private static final List<Organ> ORGANS = List.of(
            new Organ(6, -0.42, -0.05, 0.40, 0.50, 0.65, 0.45, 60, 0.25),   // liver
            new Organ(1, 0.58, 0.25, 0.17, 0.24, 0.65, 0.28, 50, 0.20),     // spleen
            new Organ(7, 0.30, -0.30, 0.25, 0.20, 0.70, 0.25, 25, 0.30),    // stomach
            new Organ(2, -0.36, 0.45, 0.13, 0.18, 0.35, 0.25, 160, 0.10),   // right kidney
            new Organ(3, 0.36, 0.45, 0.13, 0.18, 0.40, 0.25, 160, 0.10),    // left kidney
            new Organ(4, -0.30, -0.38, 0.10, 0.12, 0.42, 0.16, 10, 0.10),   // gallbladder
            new Organ(11, 0.08, 0.12, 0.30, 0.07, 0.45, 0.12, 100, 0.25),   // pancreas
            new Organ(8, 0.06, 0.40, 0.06, 0.06, 0.50, 0.80, 180, 0.0),     // aorta
            new Organ(9, -0.14, 0.36, 0.06, 0.07, 0.50, 0.80, 130, 0.05),   // IVC (dropped by the Synapse remap)
            new Organ(5, 0.04, 0.30, 0.04, 0.04, 0.90, 0.20, 40, 0.0));     // esophagus (dropped)

    private SynapseSynth() {}

    /**
     * The four-digit case numbers for {@code n} cases: TransUNet's train and test lists interleaved (so any n >= 2
     * has both splits), all 30 for n = 30, then 0041, 0042, ... (HOLDOUT in TransUNet's split).
     */
    public static List<String> caseNumbers(int n) {
        List<String> out = new ArrayList<>();
        List<String> train = SynapseLayout.TRANSUNET_TRAIN, test = SynapseLayout.TRANSUNET_TEST;
        for (int i = 0; out.size() < n && i < train.size(); i++) {
            out.add(train.get(i));
            if (i < test.size() && out.size() < n) out.add(test.get(i));
        }
        for (int k = 41; out.size() < n; k++) out.add(String.format("%04d", k));
        return out;
    }

    /** Writes {@code o.cases()} labelled volumes under {@code root} (which must be empty or absent). */
    public static SynthResult write(Path root, SynthOptions o) {
        SynthFiles.prepareRoot(root);
        Path img = SynthFiles.folder(root.resolve("RawData/Training/img"));
        Path label = SynthFiles.folder(root.resolve("RawData/Training/label"));
        List<Path> files = new ArrayList<>();
        List<String> numbers = caseNumbers(o.cases());
        for (String number : numbers) {
            CaseRandom r = new CaseRandom(o.seed(), LAYOUT, Integer.parseInt(number));
            Case c = generate(r, o.size(), o.depth());
            Path i = img.resolve("img" + number + ".nii.gz"), l = label.resolve("label" + number + ".nii.gz");
            NiftiWriter.write(i, new Volume(c.hu(), c.geometry(), "int16", i.toString()), NiftiDatatype.INT16);
            NiftiWriter.write(l, new LabelVolume(c.labels(), c.geometry(), "uint8", l.toString()), NiftiDatatype.UINT8);
            files.add(i);
            files.add(l);
        }
        List<String> train = numbers.stream().filter(SynapseLayout.TRANSUNET_TRAIN::contains).toList();
        List<String> test = numbers.stream().filter(SynapseLayout.TRANSUNET_TEST::contains).toList();
        SynapseLayout layout = train.size() == SynapseLayout.TRANSUNET_TRAIN.size() && test.size() == SynapseLayout.TRANSUNET_TEST.size()
                ? SynapseLayout.transUNet() : new SynapseLayout(train, List.of(), test, Split.HOLDOUT);
        return new SynthResult(LAYOUT, root, files, layout);
    }

    private record Case(float[] hu, int[] labels, VolumeGeometry geometry) {}

    private static Case generate(CaseRandom r, int size, int depth) {
        double sxy = 0.7 * 512 / size;
        double[][] affine = {{-sxy, 0, 0, sxy * size / 2}, {0, -sxy, 0, sxy * size / 2 + 20}, {0, 0, SLICE_MM, -SLICE_MM * depth}, {0, 0, 0, 1}};
        VolumeGeometry g = new VolumeGeometry(size, size, depth, new double[]{sxy, sxy, SLICE_MM}, affine);
        // Body: an ellipse a little wider than deep, centred slightly anterior; it tapers a bit toward the top.
        double bcx = size * r.uniform(0.48, 0.52), bcy = size * r.uniform(0.50, 0.55);
        double brx = size * r.uniform(0.40, 0.46), bry = size * r.uniform(0.30, 0.35);
        double fat = r.uniform(0.06, 0.12); // subcutaneous fat rim, fraction of the radius
        Blob spine = new Blob(bcx, bcy + 0.72 * bry, depth / 2.0, 0.14 * brx, 0.17 * bry, depth, new double[]{0.05}, new double[]{r.uniform(0, 6)});
        List<Blob> blobs = new ArrayList<>();
        List<Double> hus = new ArrayList<>();
        for (Organ organ : ORGANS) {
            double s = r.uniform(0.85, 1.15);
            blobs.add(Blob.random(r, bcx + brx * (organ.x() + r.uniform(-0.05, 0.05)), bcy + bry * (organ.y() + r.uniform(-0.05, 0.05)),
                    depth * (organ.z() + r.uniform(-0.05, 0.05)), brx * organ.rx() * s, bry * organ.ry() * s,
                    Math.max(0.75, depth * organ.rz() * r.uniform(0.85, 1.15)), 3, organ.irregular()));
            hus.add(organ.hu() + r.normal(0, 6));
        }
        float[] hu = new float[g.voxelCount()];
        int[] labels = new int[g.voxelCount()];
        for (int z = 0; z < depth; z++) {
            double taper = 1 - 0.06 * z / Math.max(1, depth - 1);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int i = g.index(x, y, z);
                    double ex = (x - bcx) / (brx * taper), ey = (y - bcy) / (bry * taper);
                    double body = Math.sqrt(ex * ex + ey * ey);
                    double value;
                    if (body >= 1) {
                        value = -1000;
                    } else {
                        value = body > 1 - fat ? -100 : 40;
                        if (spine.contains(x, y, z)) value = spine.level(x, y, z) > 0.8 ? 900 : 700; // cortical rim
                        if (body < 0.95) {
                            for (int k = 0; k < ORGANS.size(); k++) {
                                if (blobs.get(k).contains(x, y, z)) {
                                    labels[i] = ORGANS.get(k).id();
                                    value = hus.get(k);
                                }
                            }
                        }
                    }
                    hu[i] = (float) Math.max(-1024, Math.min(3071, Math.rint(value + r.normal(0, 12))));
                }
            }
        }
        return new Case(hu, labels, g);
    }
}
