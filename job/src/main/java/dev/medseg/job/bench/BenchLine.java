package dev.medseg.job.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One benchmark figure, printed as one JSON object per line: {@code {"name", "value", "unit", "config"}}, the
 * format {@code bench prep} uses, so scripts can compare runs. Values are rounded to 4 significant decimals;
 * a non-finite value is written as null.
 */
public record BenchLine(String name, double value, String unit, Map<String, Object> config) {
    /** Copies the config (iteration order kept). */
    public BenchLine {
        if (name == null || name.isBlank() || unit == null) throw new IllegalArgumentException("name and unit required");
        config = config == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(config));
    }

    /** The compact JSON text, one line. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("value", round(value));
        m.put("unit", unit);
        m.put("config", config);
        return write(m);
    }

    /** Rounds to 4 decimals for figures; keeps small values (e.g. 3e-5) readable by using significant digits below 1. */
    static double round(double v) {
        if (!Double.isFinite(v) || v == 0) return v;
        double a = Math.abs(v);
        if (a >= 1) return Math.round(v * 1e4) / 1e4;
        return new java.math.BigDecimal(v).round(new java.math.MathContext(5)).doubleValue();
    }

    /** JSON text of maps (string keys, order kept), lists, strings, numbers, booleans and null. */
    static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String s) {
            quote(b, s);
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short
                || v instanceof Byte) {
            b.append(v);
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            if (!Double.isFinite(d)) {
                b.append("null");
            } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                b.append((long) d); // 3.0 → 3: integral figures stay integers
            } else {
                b.append(d);
            }
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) b.append(',');
                first = false;
                quote(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) b.append(',');
                write(b, l.get(i));
            }
            b.append(']');
        } else if (v instanceof double[] a) {
            b.append('[');
            for (int i = 0; i < a.length; i++) {
                if (i > 0) b.append(',');
                write(b, round(a[i]));
            }
            b.append(']');
        } else {
            quote(b, v.toString());
        }
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }

    /** Parses one line this class wrote (or the peer's) back into a figure; a clear error if it is not one. */
    public static BenchLine parse(String line) {
        Object o;
        try {
            o = dev.medseg.model.io.Json.parse(line.strip(), "bench line");
        } catch (RuntimeException e) {
            throw new BenchException("not a JSON bench line: " + e.getMessage() + ": " + abbreviate(line));
        }
        if (!(o instanceof Map<?, ?> m) || !(m.get("name") instanceof String name) || !(m.get("unit") instanceof String unit)
                || !(m.get("value") == null || m.get("value") instanceof Number)) {
            throw new BenchException("bench line lacks name/value/unit: " + abbreviate(line));
        }
        double value = m.get("value") == null ? Double.NaN : ((Number) m.get("value")).doubleValue();
        Map<String, Object> config = new LinkedHashMap<>();
        if (m.get("config") instanceof Map<?, ?> c) c.forEach((k, x) -> config.put((String) k, x));
        return new BenchLine(name, value, unit, config);
    }

    static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
