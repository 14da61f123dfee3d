package dev.medseg.job.evaluate;

import dev.medseg.data.slices.SliceSchema;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;

import static dev.medseg.job.evaluate.SplitSlices.*;

/**
 * One case's slices, checked and in slice order: the model-size images, and the native grid (original height
 * and width, slice count, spacing) with the native reference labels when asked for. A 3-D case's voxel
 * {@code (x, y, z)} is element {@code x + W*(y + H*z)} of the volumes, as in NIfTI; a 2-D case is one slice.
 *
 * @param caseId    the case id
 * @param images    per slice, the (C, S, S) float image the model takes
 * @param channels  C
 * @param size      S, the model's image size
 * @param height    native rows H
 * @param width     native columns W
 * @param spacing   native (row, column, slice) spacing in mm
 * @param reference native class ids, D*H*W, or null when labels were not asked for
 * @param volume    whether the case is a 3-D volume (several slices, or a NIfTI source) rather than a 2-D image
 */
public record CaseSlices(String caseId, List<float[]> images, int channels, int size, int height, int width,
                         double[] spacing, byte[] reference, boolean volume) {
    private static final int MAX_LISTED = 5;

    /** The number of slices D. */
    public int depth() {
        return images.size();
    }

    /**
     * Checks and assembles the rows of one case (columns {@link SplitSlices#COLUMNS}, any order of slices).
     *
     * @param labels      whether native labels are required (evaluate) or ignored (predict)
     * @param lastClassId the largest class id the model predicts (1 for a binary model)
     * @throws CaseProblem when the slices are incomplete or inconsistent, an image does not decode, or the native
     *                     labels are missing, of the wrong size or hold ids the model does not have
     */
    public static CaseSlices assemble(List<Row> rows, boolean labels, int lastClassId) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("a case has at least one row");
        }
        String caseId = rows.get(0).getString(CASE_COL);
        List<Row> sorted = new ArrayList<>(rows);
        sorted.sort((a, b) -> Integer.compare(a.getInt(SLICE_COL), b.getInt(SLICE_COL)));
        Row first = sorted.get(0);
        int numSlices = first.getInt(NUM_SLICES_COL);
        int height = first.getInt(ORIGINAL_HEIGHT_COL);
        int width = first.getInt(ORIGINAL_WIDTH_COL);
        double[] spacing = spacing(first);
        checkSlices(sorted, numSlices);
        if (height < 1 || width < 1 || (long) numSlices * height * width > Integer.MAX_VALUE - 8) {
            throw new CaseProblem("implausible native size " + numSlices + "x" + height + "x" + width);
        }
        List<float[]> images = new ArrayList<>(numSlices);
        byte[] reference = labels ? new byte[numSlices * height * width] : null;
        int plane = height * width;
        for (Row r : sorted) {
            int z = r.getInt(SLICE_COL);
            String where = "slice " + z;
            if (r.getInt(NUM_SLICES_COL) != numSlices || r.getInt(ORIGINAL_HEIGHT_COL) != height
                    || r.getInt(ORIGINAL_WIDTH_COL) != width) {
                throw new CaseProblem(where + ": native size " + r.getInt(NUM_SLICES_COL) + "x" + r.getInt(ORIGINAL_HEIGHT_COL)
                        + "x" + r.getInt(ORIGINAL_WIDTH_COL) + " differs from slice " + first.getInt(SLICE_COL) + "'s "
                        + numSlices + "x" + height + "x" + width);
            }
            if (!java.util.Arrays.equals(spacing(r), spacing)) {
                throw new CaseProblem(where + ": spacing differs from the case's other slices");
            }
            try {
                images.add(SliceSchema.decodeImage(r.getAs(IMAGE_COL), r.getInt(CHANNELS_COL), r.getInt(HEIGHT_COL),
                        r.getInt(WIDTH_COL), where));
            } catch (IllegalArgumentException e) {
                throw new CaseProblem(e.getMessage(), e);
            }
            if (labels) {
                if (r.isNullAt(LABEL_NATIVE_COL)) {
                    throw new CaseProblem(where + ": no label_native (unlabelled split, or prep kept no native labels)");
                }
                byte[] l = r.getAs(LABEL_NATIVE_COL);
                if (l.length != plane) {
                    throw new CaseProblem(where + ": label_native has " + l.length + " bytes, expected " + height + "x" + width);
                }
                checkIds(l, lastClassId, where);
                System.arraycopy(l, 0, reference, z * plane, plane);
            }
        }
        Row r0 = sorted.get(0);
        boolean volume = numSlices > 1 || isNifti(r0.isNullAt(SOURCE_IMAGE_COL) ? "" : r0.getString(SOURCE_IMAGE_COL));
        return new CaseSlices(caseId, List.copyOf(images), r0.getInt(CHANNELS_COL), r0.getInt(HEIGHT_COL), height, width,
                spacing, reference, volume);
    }

    /** Groups a stream of rows sorted by case id into one list per case, lazily. */
    public static Iterator<List<Row>> byCase(Iterator<Row> sortedRows) {
        return new Iterator<>() {
            private Row pending = sortedRows.hasNext() ? sortedRows.next() : null;

            @Override
            public boolean hasNext() {
                return pending != null;
            }

            @Override
            public List<Row> next() {
                if (pending == null) {
                    throw new NoSuchElementException();
                }
                String id = pending.getString(CASE_COL);
                List<Row> out = new ArrayList<>();
                out.add(pending);
                pending = null;
                while (sortedRows.hasNext()) {
                    Row r = sortedRows.next();
                    if (!r.getString(CASE_COL).equals(id)) {
                        pending = r;
                        break;
                    }
                    out.add(r);
                }
                return out;
            }
        };
    }

    private static void checkSlices(List<Row> sorted, int numSlices) {
        if (numSlices < 1) {
            throw new CaseProblem("num_slices is " + numSlices);
        }
        List<Integer> missing = new ArrayList<>();
        List<Integer> extra = new ArrayList<>();
        int next = 0;
        int previous = -1;
        for (Row r : sorted) {
            int z = r.getInt(SLICE_COL);
            if (z == previous || z < 0 || z >= numSlices) {
                extra.add(z);
                continue;
            }
            while (next < z) {
                missing.add(next++);
            }
            next = z + 1;
            previous = z;
        }
        while (next < numSlices) {
            missing.add(next++);
        }
        if (!missing.isEmpty()) {
            throw new CaseProblem("missing slice(s) " + listed(missing) + " of 0.." + (numSlices - 1) + " ("
                    + (numSlices - missing.size()) + " of " + numSlices + " present)");
        }
        if (!extra.isEmpty()) {
            throw new CaseProblem("duplicate or out-of-range slice(s) " + listed(extra) + " for num_slices " + numSlices);
        }
    }

    private static void checkIds(byte[] labels, int lastClassId, String where) {
        int max = 0;
        for (byte b : labels) {
            max = Math.max(max, b & 0xFF);
        }
        if (max > lastClassId) {
            java.util.TreeSet<Integer> ids = new java.util.TreeSet<>();
            for (byte b : labels) {
                if ((b & 0xFF) > lastClassId && ids.size() < MAX_LISTED) {
                    ids.add(b & 0xFF);
                }
            }
            throw new CaseProblem(where + ": label_native has class id(s) " + ids + " outside the model's classes 0.."
                    + lastClassId);
        }
    }

    private static double[] spacing(Row r) {
        if (r.isNullAt(SPACING_COL)) {
            throw new CaseProblem("slice " + r.getInt(SLICE_COL) + ": no spacing");
        }
        List<Object> s = r.getList(SPACING_COL);
        if (s.size() != 3) {
            throw new CaseProblem("slice " + r.getInt(SLICE_COL) + ": spacing has " + s.size() + " values, expected 3");
        }
        double[] out = new double[3];
        for (int i = 0; i < 3; i++) {
            Object v = s.get(i);
            out[i] = v == null ? Double.NaN : ((Number) v).doubleValue();
            if (!(out[i] > 0) || Double.isInfinite(out[i])) {
                throw new CaseProblem("slice " + r.getInt(SLICE_COL) + ": spacing " + s + " is not finite and positive");
            }
        }
        return out;
    }

    private static String listed(List<Integer> ids) {
        return ids.size() <= MAX_LISTED ? ids.toString()
                : ids.subList(0, MAX_LISTED).toString().replace("]", ", ... (" + ids.size() + ")]");
    }

    private static boolean isNifti(String source) {
        String s = source.toLowerCase(Locale.ROOT);
        return s.endsWith(".nii") || s.endsWith(".nii.gz") || s.endsWith(".hdr") || s.endsWith(".img")
                || s.endsWith(".img.gz");
    }
}
