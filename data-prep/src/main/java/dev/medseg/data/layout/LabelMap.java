package dev.medseg.data.layout;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Maps the label ids stored in a dataset's label files to training class ids, and names the classes.
 *
 * <p>Every source id a dataset may contain is listed, including those mapped to background, so an id
 * outside the table (a corrupt or mismatched label file) is reported instead of silently becoming 0.
 *
 * @param sourceToTarget source label id to class id, sorted by source id; every target in {@code [0, numClasses)}
 * @param classNames     class names indexed by class id; index 0 is background
 */
public record LabelMap(Map<Integer, Integer> sourceToTarget, List<String> classNames) {

    /** The largest source id a table may hold, so {@link #toLookupTable()} stays small. */
    public static final int MAX_SOURCE_ID = 65_535;

    /** Validates ids and names and makes unmodifiable sorted copies. */
    public LabelMap {
        classNames = List.copyOf(Objects.requireNonNull(classNames, "classNames"));
        if (classNames.isEmpty()) {
            throw new IllegalArgumentException("a label map needs at least the background class");
        }
        if (new HashSet<>(classNames).size() != classNames.size() || classNames.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("class names must be non-blank and unique: " + classNames);
        }
        Map<Integer, Integer> sorted = new TreeMap<>(Objects.requireNonNull(sourceToTarget, "sourceToTarget"));
        int numClasses = classNames.size();
        sorted.forEach((source, target) -> {
            if (source < 0 || source > MAX_SOURCE_ID) {
                throw new IllegalArgumentException("source id " + source + " outside [0, " + MAX_SOURCE_ID + "]");
            }
            if (target < 0 || target >= numClasses) {
                throw new IllegalArgumentException("source id " + source + " maps to class " + target
                        + " outside [0, " + numClasses + ")");
            }
        });
        sourceToTarget = Collections.unmodifiableMap(sorted);
    }

    /** Identity map {@code 0..names.size()-1}, e.g. ACDC or a contiguous MSD label set. */
    public static LabelMap identity(List<String> classNames) {
        Map<Integer, Integer> map = new LinkedHashMap<>();
        for (int i = 0; i < classNames.size(); i++) {
            map.put(i, i);
        }
        return new LabelMap(map, classNames);
    }

    /**
     * BTCV's 13 organ ids to TransUNet's 8-organ Synapse ids (9 classes with background): spleen 1→1,
     * right kidney 2→2, left kidney 3→3, gallbladder 4→4, liver 6→5, stomach 7→6, aorta 8→7, pancreas 11→8;
     * esophagus 5, IVC 9, portal and splenic veins 10, adrenal glands 12 and 13 → 0.
     */
    public static LabelMap btcvToSynapse() {
        int[] target = {0, 1, 2, 3, 4, 0, 5, 6, 7, 0, 0, 8, 0, 0}; // index = BTCV id 0..13
        Map<Integer, Integer> map = new LinkedHashMap<>();
        for (int id = 0; id < target.length; id++) {
            map.put(id, target[id]);
        }
        return new LabelMap(map, List.of("background", "spleen", "right_kidney", "left_kidney", "gallbladder",
                "liver", "stomach", "aorta", "pancreas"));
    }

    /** ACDC: identity 0..3 with names background, RV (right ventricle), Myo (myocardium), LV (left ventricle cavity). */
    public static LabelMap acdc() {
        return identity(List.of("background", "RV", "Myo", "LV"));
    }

    /**
     * Binary lesion masks as published (0/255 PNGs, some 0/1): 0 → 0 and both 1 and 255 → 1. Readers of
     * masks with intermediate grey levels (JPEG, resampled) threshold first.
     */
    public static LabelMap binary(String foregroundName) {
        Map<Integer, Integer> map = new LinkedHashMap<>();
        map.put(0, 0);
        map.put(1, 1);
        map.put(255, 1);
        return new LabelMap(map, List.of("background", foregroundName));
    }

    /** Number of classes including background. */
    public int numClasses() {
        return classNames.size();
    }

    /** The name of class {@code classId}. */
    public String className(int classId) {
        Objects.checkIndex(classId, classNames.size());
        return classNames.get(classId);
    }

    /** Whether {@code sourceId} is in the table. */
    public boolean isKnown(int sourceId) {
        return sourceToTarget.containsKey(sourceId);
    }

    /** The class id of {@code sourceId}; an id outside the table is an error, never background. */
    public int apply(int sourceId) {
        Integer target = sourceToTarget.get(sourceId);
        if (target == null) {
            throw new IllegalArgumentException("label id " + sourceId + " is not in the label map (known ids "
                    + sourceToTarget.keySet() + ")");
        }
        return target;
    }

    /** The observed ids that are not in the table, sorted. */
    public SortedSet<Integer> unknownIds(int... observedIds) {
        SortedSet<Integer> unknown = new TreeSet<>();
        for (int id : observedIds) {
            if (!isKnown(id)) {
                unknown.add(id);
            }
        }
        return unknown;
    }

    /**
     * Fails when any observed id is unknown.
     *
     * @param where the label file (or case) the ids came from, named in the message
     */
    public void checkKnown(String where, int... observedIds) {
        Set<Integer> unknown = unknownIds(observedIds);
        if (!unknown.isEmpty()) {
            throw new DatasetLayoutException(where + ": label ids " + unknown + " are not in the label map (known ids "
                    + sourceToTarget.keySet() + ", classes " + classNames + ")");
        }
    }

    /** A table indexed by source id (length max source id + 1) holding class ids, and -1 for unknown ids. */
    public int[] toLookupTable() {
        int max = sourceToTarget.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        int[] table = new int[max + 1];
        Arrays.fill(table, -1);
        sourceToTarget.forEach((source, target) -> table[source] = target);
        return table;
    }
}
