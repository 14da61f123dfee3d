package dev.medseg.job.tables;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small, already collected query result rendered for people (aligned text, markdown) or tools (CSV, JSON
 * Lines). Cells keep their Java values: numbers are formatted per output (4 decimals for people, full
 * precision for tools); null prints as empty (text, CSV) or {@code null} (JSON).
 */
public record TextTable(List<String> columns, List<List<Object>> rows) {

    /** Output formats of {@link #render}. */
    public enum Format {
        /** Space-aligned columns with a rule under the header. */
        TEXT,
        /** RFC 4180 CSV with a header line. */
        CSV,
        /** A GitHub markdown table. */
        MARKDOWN,
        /** One JSON object per row (JSON Lines). */
        JSON
    }

    /** Copies the lists; every row must have one cell per column. */
    public TextTable {
        columns = List.copyOf(columns);
        List<List<Object>> copy = new ArrayList<>(rows.size());
        for (List<Object> r : rows) {
            if (r.size() != columns.size()) {
                throw new IllegalArgumentException("row has " + r.size() + " cells for " + columns.size() + " columns");
            }
            copy.add(java.util.Collections.unmodifiableList(new ArrayList<>(r)));
        }
        rows = List.copyOf(copy);
    }

    /** Collects {@code result} (it must be small: everything comes to the driver) into a table. */
    public static TextTable collect(Dataset<Row> result) {
        List<String> columns = List.of(result.columns());
        List<List<Object>> rows = new ArrayList<>();
        for (Row r : result.collectAsList()) {
            List<Object> cells = new ArrayList<>(r.size());
            for (int i = 0; i < r.size(); i++) {
                cells.add(r.isNullAt(i) ? null : r.get(i));
            }
            rows.add(cells);
        }
        return new TextTable(columns, rows);
    }

    /** The table in {@code format}, ending with a newline. */
    public String render(Format format) {
        return switch (format) {
            case TEXT -> aligned();
            case CSV -> csv();
            case MARKDOWN -> markdown();
            case JSON -> jsonLines();
        };
    }

    private String aligned() {
        List<List<String>> cells = humanCells();
        int[] width = widths(cells);
        StringBuilder sb = new StringBuilder();
        line(sb, columns, width, "  ");
        int total = 0;
        for (int w : width) {
            total += w;
        }
        sb.append("-".repeat(total + 2 * Math.max(0, width.length - 1))).append('\n');
        for (List<String> r : cells) {
            line(sb, r, width, "  ");
        }
        return sb.toString();
    }

    private String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("| ").append(String.join(" | ", columns.stream().map(TextTable::markdownCell).toList())).append(" |\n");
        sb.append("|").append("---|".repeat(columns.size())).append('\n');
        for (List<String> r : humanCells()) {
            sb.append("| ").append(String.join(" | ", r.stream().map(TextTable::markdownCell).toList())).append(" |\n");
        }
        return sb.toString();
    }

    private String csv() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.join(",", columns.stream().map(TextTable::csvCell).toList())).append('\n');
        for (List<Object> r : rows) {
            sb.append(String.join(",", r.stream().map(c -> csvCell(exact(c))).toList())).append('\n');
        }
        return sb.toString();
    }

    private String jsonLines() {
        StringBuilder sb = new StringBuilder();
        for (List<Object> r : rows) {
            sb.append('{');
            for (int i = 0; i < columns.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(jsonString(columns.get(i))).append(':').append(jsonValue(r.get(i)));
            }
            sb.append("}\n");
        }
        return sb.toString();
    }

    private List<List<String>> humanCells() {
        List<List<String>> out = new ArrayList<>(rows.size());
        for (List<Object> r : rows) {
            out.add(r.stream().map(TextTable::human).toList());
        }
        return out;
    }

    private int[] widths(List<List<String>> cells) {
        int[] width = new int[columns.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = columns.get(i).length();
        }
        for (List<String> r : cells) {
            for (int i = 0; i < width.length; i++) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        return width;
    }

    private static void line(StringBuilder sb, List<String> cells, int[] width, String gap) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) {
                l.append(gap);
            }
            l.append(String.format("%-" + width[i] + "s", cells.get(i)));
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }

    /** A cell for people: doubles with 4 decimals, binary as its size. */
    private static String human(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return Double.isFinite(d) ? String.format(Locale.ROOT, "%.4f", d) : Double.toString(d);
        }
        if (v instanceof byte[] b) {
            return "<" + b.length + " bytes>";
        }
        return v.toString();
    }

    /** A cell for tools: full precision. */
    private static String exact(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof byte[] b) {
            return java.util.Base64.getEncoder().encodeToString(b);
        }
        return v.toString();
    }

    private static String csvCell(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    private static String markdownCell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    private static String jsonValue(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Boolean) {
            return v.toString();
        }
        if (v instanceof Number n) {
            double d = n.doubleValue();
            // JSON has no NaN or infinity: write them as strings rather than produce invalid JSON
            return Double.isFinite(d) ? n.toString() : jsonString(n.toString());
        }
        return jsonString(exact(v));
    }

    private static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
