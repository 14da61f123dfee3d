package dev.medseg.data.layout;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal strict RFC 8259 JSON parser for small metadata files such as {@code dataset.json}.
 *
 * <p>Values become {@code Map<String, Object>} (insertion order, unmodifiable), {@code List<Object>},
 * {@code String}, {@link BigDecimal}, {@code Boolean}, or {@link #NULL}. Strict: one top-level value,
 * no comments, no trailing commas, no duplicate keys, no leading zeros, no control characters in strings,
 * valid surrogate pairs in {@code \\u} escapes. Bounded: text length and nesting depth are limited and every
 * error names the source, line and column, so a hostile file cannot exhaust the stack or the heap.
 */
final class StrictJson {

    /** Stand-in for JSON {@code null}, since maps and lists here never hold Java null. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    static final int MAX_CHARS = 16 * 1024 * 1024;
    static final int MAX_DEPTH = 64;
    private static final int MAX_NUMBER_CHARS = 100;

    private final String text;
    private final String source;
    private int pos;

    private StrictJson(String text, String source) {
        this.text = text;
        this.source = source;
    }

    /**
     * Parses one JSON document.
     *
     * @param source named in error messages, e.g. the file path
     * @throws DatasetLayoutException on any syntax error or limit
     */
    static Object parse(String text, String source) {
        if (text.length() > MAX_CHARS) {
            throw new DatasetLayoutException(source + ": JSON text of " + text.length() + " characters exceeds the limit of " + MAX_CHARS);
        }
        StrictJson parser = new StrictJson(text, source);
        if (text.startsWith("\uFEFF")) {
            parser.pos = 1; // tolerate a UTF-8 byte-order mark, common in files saved on Windows
        }
        parser.skipWhitespace();
        Object value = parser.value(0);
        parser.skipWhitespace();
        if (parser.pos != text.length()) {
            throw parser.error("unexpected content after the top-level value");
        }
        return value;
    }

    private Object value(int depth) {
        if (depth >= MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        if (pos >= text.length()) {
            throw error("unexpected end of input, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", NULL);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected character " + describe(c) + ", expected a value");
            }
        };
    }

    private Map<String, Object> object(int depth) {
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return Collections.unmodifiableMap(map);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key");
            }
            int keyPos = pos;
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object v = value(depth + 1);
            if (map.putIfAbsent(key, v) != null) {
                pos = keyPos;
                throw error("duplicate key \"" + key + "\"");
            }
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') {
                return Collections.unmodifiableMap(map);
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}' in object");
            }
        }
    }

    private List<Object> array(int depth) {
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            skipWhitespace();
            list.add(value(depth + 1));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                return Collections.unmodifiableList(list);
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']' in array");
            }
        }
    }

    private String string() {
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("control character " + describe(c) + " in string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= text.length()) {
                throw error("unterminated escape");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> unicodeEscape(sb);
                default -> {
                    pos--;
                    throw error("invalid escape \\" + describe(e));
                }
            }
        }
    }

    private void unicodeEscape(StringBuilder sb) {
        char unit = hex4();
        if (Character.isHighSurrogate(unit)) {
            if (!text.startsWith("\\u", pos)) {
                throw error("high surrogate \\u" + Integer.toHexString(unit) + " without a following low surrogate");
            }
            pos += 2;
            char low = hex4();
            if (!Character.isLowSurrogate(low)) {
                throw error("high surrogate followed by \\u" + Integer.toHexString(low) + ", not a low surrogate");
            }
            sb.append(unit).append(low);
            return;
        }
        if (Character.isLowSurrogate(unit)) {
            throw error("lone low surrogate \\u" + Integer.toHexString(unit));
        }
        sb.append(unit);
    }

    private char hex4() {
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) {
                pos += i;
                throw error("invalid hex digit in \\u escape");
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private BigDecimal number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (peek() >= '0' && peek() <= '9') {
                throw error("leading zero in number");
            }
        } else {
            requireDigits("digit");
        }
        if (peek() == '.') {
            pos++;
            requireDigits("digit after decimal point");
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            requireDigits("digit in exponent");
        }
        if (pos - start > MAX_NUMBER_CHARS) {
            pos = start;
            throw error("number longer than " + MAX_NUMBER_CHARS + " characters");
        }
        try {
            return new BigDecimal(text.substring(start, pos));
        } catch (NumberFormatException | ArithmeticException ex) {
            pos = start;
            throw error("number out of range");
        }
    }

    private void requireDigits(String what) {
        if (peek() < '0' || peek() > '9') {
            throw error("expected a " + what);
        }
        while (peek() >= '0' && peek() <= '9') {
            pos++;
        }
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) {
            throw error("invalid literal, expected " + word);
        }
        pos += word.length();
        return value;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private DatasetLayoutException error(String problem) {
        int line = 1;
        int column = 1;
        for (int i = 0; i < Math.min(pos, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return new DatasetLayoutException(source + ": invalid JSON at line " + line + " column " + column + ": " + problem);
    }

    private static String describe(char c) {
        return c >= 0x20 && c < 0x7F ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }
}
