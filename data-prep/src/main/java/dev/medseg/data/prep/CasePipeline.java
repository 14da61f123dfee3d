package dev.medseg.data.prep;

import dev.medseg.data.io.Image2d;
import dev.medseg.data.io.Image2dReader;
import dev.medseg.data.io.ImageFormatException;
import dev.medseg.data.io.LabelVolume;
import dev.medseg.data.io.Mask2d;
import dev.medseg.data.io.NiftiHeader;
import dev.medseg.data.io.NiftiReader;
import dev.medseg.data.io.Volume;
import dev.medseg.data.slices.SliceSchema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.TreeSet;

/**
 * Turns one case into {@link SliceSchema} rows: read, check, normalise the whole volume, then per axial slice
 * resample and encode. Everything that can make a case unusable is checked in {@link #open} before the first
 * row exists, so a case is written completely or rejected, never half.
 *
 * <p>3-D cases (NIfTI: {@code .nii}, {@code .nii.gz}, {@code .hdr}/{@code .img}) are reoriented to canonical RAS+
 * order; slice z is the plane of constant z, rows run along y (posterior to anterior) and columns along x
 * (left to right), so H = ny, W = nx and spacing is (sy, sx, sz). Other files are 2-D images (one row, spacing
 * (1, 1, 1)) whose masks are OR-merged.
 */
public final class CasePipeline {

    private static final List<String> NIFTI_SUFFIXES = List.of(".nii", ".nii.gz", ".hdr", ".img", ".img.gz");
    private static final int MAX_LISTED_IDS = 8;

    private final SliceRecipe recipe;

    /** A pipeline applying {@code recipe}. */
    public CasePipeline(SliceRecipe recipe) {
        this.recipe = recipe;
    }

    /**
     * Reads and checks a case and returns its rows as a lazy iterator (one volume in memory).
     *
     * @throws CaseRejection for unreadable or inconsistent input: corrupt or truncated file, shape or spacing
     *                       mismatch, label ids outside the label map, NaN/Inf voxels, an empty (constant) volume
     */
    public CaseSlices open(CaseTask task) {
        try {
            return isNifti(task.image()) ? openVolume(task) : openImage(task);
        } catch (CaseRejection e) {
            throw e;
        } catch (ImageFormatException e) {
            throw new CaseRejection(e.file(), problemOf(e), "read");
        } catch (RuntimeException e) { // e.g. a reader's IllegalArgumentException on an odd header
            throw new CaseRejection(task.image(), e.getClass().getSimpleName() + ": " + e.getMessage(), "read");
        }
    }

    static boolean isNifti(String file) {
        String lower = file.toLowerCase(Locale.ROOT);
        return NIFTI_SUFFIXES.stream().anyMatch(lower::endsWith);
    }

    private static String problemOf(ImageFormatException e) {
        String m = e.getMessage();
        String prefix = e.file() + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    private CaseSlices openVolume(CaseTask task) {
        NiftiReader reader = new NiftiReader(recipe.maxVoxels());
        Path imagePath = Path.of(task.image());
        NiftiHeader header = reader.readHeader(imagePath);
        int frame = header.frames() > 1 ? task.channel() : 0;
        Volume volume = reader.read(imagePath, frame).toCanonical();
        float[] data = volume.data();
        long nonFinite = volume.countNonFinite();
        if (nonFinite > 0) {
            throw new CaseRejection(task.image(), nonFinite + " NaN/Inf voxel(s) in the image", "check");
        }
        requireNotConstant(data, task.image(), "volume");
        byte[] classes = null;
        if (!task.labels().isEmpty()) {
            if (task.labels().size() > 1) {
                throw new CaseRejection(task.image(), "3-D cases take one label file, got " + task.labels(), "check");
            }
            String labelFile = task.labels().get(0);
            LabelVolume labels = reader.readLabels(Path.of(labelFile)).toCanonical();
            checkSameGrid(volume, labels, labelFile);
            classes = mapLabels(labels.ids(), labelFile);
        }
        recipe.intensity().apply(data, task.image());
        double[] s = volume.spacing();
        return new CaseSlices(task, recipe, data, classes, 1, volume.ny(), volume.nx(), volume.nz(),
                List.of(s[1], s[0], s[2]));
    }

    private CaseSlices openImage(CaseTask task) {
        Image2dReader reader = new Image2dReader(recipe.maxVoxels());
        Image2d image = reader.read(Path.of(task.image()));
        byte[] classes = null;
        if (!task.labels().isEmpty()) {
            Mask2d merged = null;
            for (String f : task.labels()) {
                Mask2d m = reader.readMask(Path.of(f));
                if (m.width() != image.width() || m.height() != image.height()) {
                    throw new CaseRejection(f, "shape mismatch: image " + image.height() + "x" + image.width()
                            + " (HxW), mask " + m.height() + "x" + m.width(), "check");
                }
                merged = merged == null ? m : merged.or(m);
            }
            classes = mapLabels(merged.data(), task.labels().get(0));
        }
        float[] data = image.data();
        requireNotConstant(data, task.image(), "image");
        recipe.intensity().apply(data, task.image());
        return new CaseSlices(task, recipe, data, classes, image.channels(), image.height(), image.width(), 1,
                List.of(1.0, 1.0, 1.0));
    }

    private static void requireNotConstant(float[] data, String file, String what) {
        if (data.length == 0) {
            throw new CaseRejection(file, "empty " + what + ": no voxels", "check");
        }
        float first = data[0];
        for (float v : data) {
            if (v != first) {
                return;
            }
        }
        throw new CaseRejection(file, "empty " + what + ": all " + data.length + " voxels are " + first, "check");
    }

    private void checkSameGrid(Volume image, LabelVolume labels, String labelFile) {
        if (image.nx() != labels.nx() || image.ny() != labels.ny() || image.nz() != labels.nz()) {
            throw new CaseRejection(labelFile, "shape mismatch: image " + image.nx() + "x" + image.ny() + "x" + image.nz()
                    + ", label " + labels.nx() + "x" + labels.ny() + "x" + labels.nz() + " (canonical x, y, z)", "check");
        }
        double[] a = image.spacing();
        double[] b = labels.spacing();
        for (int k = 0; k < 3; k++) {
            if (Math.abs(a[k] - b[k]) > 1e-3 * Math.max(Math.abs(a[k]), Math.abs(b[k])) + 1e-6) {
                throw new CaseRejection(labelFile, "spacing mismatch: image " + java.util.Arrays.toString(a)
                        + " mm, label " + java.util.Arrays.toString(b) + " mm", "check");
            }
        }
    }

    private byte[] mapLabels(int[] ids, String labelFile) {
        byte[] out = new byte[ids.length];
        TreeSet<Integer> unknown = new TreeSet<>();
        long unknownCount = 0;
        for (int i = 0; i < ids.length; i++) {
            int c = recipe.classOf(ids[i]);
            if (c < 0) {
                unknownCount++;
                if (unknown.size() < MAX_LISTED_IDS) {
                    unknown.add(ids[i]);
                }
                continue;
            }
            out[i] = (byte) c;
        }
        if (unknownCount > 0) {
            throw new CaseRejection(labelFile, unknownCount + " voxel(s) carry label ids outside the label map, e.g. "
                    + unknown, "labels");
        }
        return out;
    }

    private byte[] mapLabels(byte[] mask, String labelFile) {
        int[] ids = new int[mask.length];
        for (int i = 0; i < mask.length; i++) {
            ids[i] = mask[i] & 0xff;
        }
        return mapLabels(ids, labelFile);
    }

    /**
     * The rows of one opened case, produced lazily slice by slice. {@link #stats()} is complete once the
     * iterator is exhausted.
     */
    public static final class CaseSlices implements Iterator<Row> {
        private final CaseTask task;
        private final SliceRecipe recipe;
        private final float[] data;
        private final byte[] classes;
        private final int channels;
        private final int height;
        private final int width;
        private final int depth;
        private final scala.collection.immutable.List<Double> spacing;
        private final String sourceLabel;
        private final CaseStats stats;
        private final PlaneResizer resizer; // null when planes are kept as they are or resampled nearest
        private int next;

        CaseSlices(CaseTask task, SliceRecipe recipe, float[] data, byte[] classes, int channels, int height, int width,
                   int depth, List<Double> spacing) {
            this.task = task;
            this.recipe = recipe;
            this.data = data;
            this.classes = classes;
            this.channels = channels;
            this.height = height;
            this.width = width;
            this.depth = depth;
            this.spacing = scala.jdk.javaapi.CollectionConverters.asScala(spacing).toList(); // Spark rows take Seq
            this.sourceLabel = task.labels().isEmpty() ? null : String.join(";", task.labels());
            this.stats = new CaseStats(task.split(), recipe.numClasses());
            int size = recipe.imageSize();
            this.resizer = (height == size && width == size) || recipe.interpolation() == Interpolation.NEAREST ? null
                    : new PlaneResizer(height, width, size, size, recipe.interpolation());
        }

        /** Slices the case has (rows this iterator yields). */
        public int numSlices() {
            return depth;
        }

        /** Per-case statistics of the rows produced so far. */
        public CaseStats stats() {
            return stats;
        }

        @Override
        public boolean hasNext() {
            return next < depth;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            int z = next++;
            int size = recipe.imageSize();
            int plane = height * width;
            float[][] resized = new float[channels][];
            for (int c = 0; c < channels; c++) {
                // 3-D: slice z of a single-channel volume; 2-D: channel c of a (C, H, W) image
                int offset = (z * channels + c) * plane;
                if (resizer != null) {
                    resized[c] = resizer.resize(data, offset);
                } else {
                    float[] p = java.util.Arrays.copyOfRange(data, offset, offset + plane);
                    resized[c] = height == size && width == size ? p
                            : Resampler.resize(p, height, width, size, size, recipe.interpolation());
                }
            }
            float[] image = toChannels(resized, recipe.channels(), size * size);
            stats.addImage(image);
            byte[] label = null;
            byte[] labelNative = null;
            if (classes != null) {
                byte[] nativeSlice = new byte[plane];
                System.arraycopy(classes, z * plane, nativeSlice, 0, plane);
                label = height == size && width == size ? nativeSlice.clone()
                        : Resampler.resizeLabels(nativeSlice, height, width, size, size);
                stats.addLabel(label);
                labelNative = task.keepsNativeLabels() ? nativeSlice : null;
            }
            stats.slices++;
            return RowFactory.create(task.dataset(), task.split(), task.caseId(), z, depth, image.length / (size * size),
                    size, size, SliceSchema.encodeImage(image), label, labelNative, spacing, height, width,
                    task.image(), sourceLabel, SliceSchema.VERSION);
        }

        // (C, S, S) planes to the requested channel count: 0 keeps them, 3 replicates gray, 1 takes RGB luma.
        private static float[] toChannels(float[][] planes, int wanted, int n) {
            int have = planes.length;
            int out = wanted == 0 ? have : wanted;
            float[] result = new float[out * n];
            if (out == have) {
                for (int c = 0; c < have; c++) {
                    System.arraycopy(planes[c], 0, result, c * n, n);
                }
            } else if (have == 1) {
                for (int c = 0; c < out; c++) {
                    System.arraycopy(planes[0], 0, result, c * n, n);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    result[i] = (float) (0.299 * planes[0][i] + 0.587 * planes[1][i] + 0.114 * planes[2][i]);
                }
            }
            return result;
        }
    }
}
