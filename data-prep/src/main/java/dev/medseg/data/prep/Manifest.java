package dev.medseg.data.prep;

import dev.medseg.data.layout.Listing;
import dev.medseg.data.slices.SliceSchema;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code manifest.json} content: what was written (counts per split, class pixel counts of the stored
 * labels, intensity statistics of the stored images) and how (options, label map, schema version). Sums run in
 * case-id order, so the same input gives the same manifest. No timestamps, for the same reason.
 */
final class Manifest {

    private Manifest() {
    }

    static Map<String, Object> build(PrepOptions o, String layoutName, Listing listing, SliceRecipe recipe, int casesListed,
                                     PrepTally tally, List<RejectedCase> rejected, long maxRecordsPerFile, long rowBytes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prep_version", SliceSchema.VERSION);
        m.put("dataset", listing.dataset());
        m.put("layout", layoutName);
        m.put("input", o.input());

        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("image_size", o.imageSize());
        opts.put("interpolation", o.interpolation().configName());
        opts.put("label_interpolation", "nearest");
        opts.put("intensity", recipe.intensity().describe());
        opts.put("channels", o.channels());
        opts.put("strict", o.strict());
        opts.put("max_voxels", o.maxVoxels());
        opts.put("target_file_mb", o.targetFileMb());
        opts.put("overwrite", o.overwrite());
        Map<String, Object> overrides = new TreeMap<>();
        o.splitOverrides().forEach((k, v) -> overrides.put(k, v.partitionValue()));
        opts.put("split_overrides", overrides);
        opts.put("seeded_split", o.seededSplit() == null ? "layout default" : Map.of("test_fraction",
                o.seededSplit().testFraction(), "val_fraction", o.seededSplit().valFraction(), "seed", o.seededSplit().seed()));
        opts.put("channel", o.channel());
        m.put("options", opts);

        Map<String, Object> labels = new LinkedHashMap<>();
        labels.put("classes", listing.labelMap().classNames());
        Map<String, Object> map = new LinkedHashMap<>();
        listing.labelMap().sourceToTarget().forEach((k, v) -> map.put(Integer.toString(k), v));
        labels.put("source_to_class", map);
        m.put("label_map", labels);

        Map<String, Object> cases = new LinkedHashMap<>();
        cases.put("listed", casesListed);
        cases.put("written", tally.written().size());
        cases.put("rejected", rejected.size());
        m.put("cases", cases);

        int k = recipe.numClasses();
        Map<String, long[]> perSplit = new TreeMap<>();
        Map<String, long[]> classPixels = new TreeMap<>();
        double sum = 0;
        double sumSq = 0;
        long pixels = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (CaseStats s : tally.written().values()) {
            long[] c = perSplit.computeIfAbsent(s.split(), x -> new long[2]);
            c[0]++;
            c[1] += s.slices();
            long[] px = classPixels.computeIfAbsent(s.split(), x -> new long[k]);
            for (int i = 0; i < k; i++) {
                px[i] += s.classPixels[i];
            }
            sum += s.sum;
            sumSq += s.sumSquares;
            pixels += s.pixels;
            min = Math.min(min, s.min);
            max = Math.max(max, s.max);
        }
        Map<String, Object> splits = new LinkedHashMap<>();
        perSplit.forEach((split, c) -> {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("cases", c[0]);
            e.put("slices", c[1]);
            e.put("class_pixels", classPixels.get(split));
            splits.put(split, e);
        });
        m.put("splits", splits);

        Map<String, Object> intensity = new LinkedHashMap<>();
        double mean = pixels == 0 ? Double.NaN : sum / pixels;
        intensity.put("mean", mean);
        intensity.put("std", pixels == 0 ? Double.NaN : Math.sqrt(Math.max(0, sumSq / pixels - mean * mean)));
        intensity.put("min", pixels == 0 ? Double.NaN : min);
        intensity.put("max", pixels == 0 ? Double.NaN : max);
        intensity.put("pixels", pixels);
        m.put("intensity", intensity);

        Map<String, Object> rej = new LinkedHashMap<>();
        rej.put("count", rejected.size());
        rej.put("table", "rejected");
        List<String> first = new ArrayList<>();
        rejected.stream().limit(PrepJob.QUOTED_REASONS).forEach(r -> first.add(r.toString()));
        rej.put("first", first);
        m.put("rejected", rej);

        Map<String, Object> files = new LinkedHashMap<>();
        files.put("slices", "slices");
        files.put("partition_columns", SliceSchema.PARTITION_COLUMNS);
        files.put("columns", List.of(SliceSchema.schema().fieldNames()));
        files.put("estimated_row_bytes", rowBytes);
        files.put("max_records_per_file", maxRecordsPerFile);
        m.put("files", files);
        return m;
    }
}
