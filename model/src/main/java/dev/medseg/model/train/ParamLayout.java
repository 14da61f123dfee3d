package dev.medseg.model.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each named tensor lives in one flat float vector: the contract between a model's variables and the
 * flat vectors that travel between Spark driver and executors and go into checkpoints. The order is the graph's
 * build order, which is deterministic for a given model config.
 */
public record ParamLayout(List<Entry> entries, long size) implements java.io.Serializable {

    /** One tensor: its name, shape and place in the flat vector. */
    public record Entry(String name, long[] shape, long offset, long length) implements java.io.Serializable {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    public ParamLayout {
        entries = List.copyOf(entries);
    }

    /** The layout of tensors with these shapes, in map order. */
    public static ParamLayout of(Map<String, long[]> shapes) {
        List<Entry> out = new ArrayList<>();
        long offset = 0;
        for (var e : shapes.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n = Math.multiplyExact(n, d);
            out.add(new Entry(e.getKey(), e.getValue(), offset, n));
            offset += n;
        }
        if (offset > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("flat vector of " + offset + " elements exceeds one Java array");
        }
        return new ParamLayout(out, offset);
    }

    /** The flat vector length as an int (checked at construction). */
    public int length() {
        return (int) size;
    }

    /** Name → shape, in layout order. */
    public Map<String, long[]> shapes() {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (Entry e : entries) m.put(e.name(), e.shape());
        return m;
    }

    /** Whether two layouts hold the same names and shapes in the same order. */
    public boolean sameAs(ParamLayout other) {
        if (entries.size() != other.entries.size()) return false;
        for (int i = 0; i < entries.size(); i++) {
            Entry a = entries.get(i), b = other.entries.get(i);
            if (!a.name().equals(b.name()) || !Arrays.equals(a.shape, b.shape)) return false;
        }
        return true;
    }

    /** The first difference from {@code other}, for error messages; empty string when the same. */
    public String difference(ParamLayout other) {
        Map<String, long[]> mine = shapes(), theirs = other.shapes();
        for (var e : mine.entrySet()) {
            long[] t = theirs.get(e.getKey());
            if (t == null) return "missing " + e.getKey();
            if (!Arrays.equals(t, e.getValue())) {
                return e.getKey() + " has shape " + Arrays.toString(t) + ", expected " + Arrays.toString(e.getValue());
            }
        }
        for (String k : theirs.keySet()) if (!mine.containsKey(k)) return "unexpected " + k;
        return sameAs(other) ? "" : "same tensors in a different order";
    }
}
