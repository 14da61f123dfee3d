package dev.medseg.model.io;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) reader and writer for checkpoint headers, so that no JSON library is needed.
 * Values map to {@code LinkedHashMap<String,Object>} (key order kept, duplicate keys rejected),
 * {@code ArrayList<Object>}, {@code String}, {@code Long} (integers that fit), {@code Double}, {@code Boolean}
 * and {@code null}. Nesting depth is limited, so a hostile header cannot overflow the stack.
 */
public final class Json {
    /** Deeper than any checkpoint header; keeps recursion far from the thread's stack limit. */
    public static final int MAX_DEPTH = 64;

    private final String s;
    private final String file;
    private int i;

    private Json(String s, String file) {
        this.s = s;
        this.file = file;
    }

    /** Parses UTF-8 bytes (invalid UTF-8 is rejected); errors name {@code file} and the offset. */
    public static Object parse(byte[] utf8, String file) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointFormatException(file, "JSON header is not valid UTF-8");
        }
        return parse(text, file);
    }

    /** Parses one JSON value that must make up the whole text (surrounding whitespace allowed). */
    public static Object parse(String text, String file) {
        Json p = new Json(text, file);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.i != text.length()) {
            throw p.fail("unexpected text after the JSON value");
        }
        return v;
    }

    /** Serialises maps, lists, strings, integral numbers, booleans and null as compact JSON. */
    public static String write(Object value) {
        StringBuilder b = new StringBuilder();
        write(b, value);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String str) {
            quote(b, str);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                quote(b, (String) e.getKey());
                b.append(':');
                write(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int k = 0; k < l.size(); k++) {
                if (k > 0) {
                    b.append(',');
                }
                write(b, l.get(k));
            }
            b.append(']');
        } else {
            throw new IllegalArgumentException("cannot write " + v.getClass().getSimpleName() + " as JSON");
        }
    }

    private static void quote(StringBuilder b, String str) {
        b.append('"');
        for (int k = 0; k < str.length(); k++) {
            char c = str.charAt(k);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw fail("nesting deeper than " + MAX_DEPTH);
        }
        char c = peek();
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw fail(i >= s.length() ? "unexpected end of JSON" : "unexpected character '" + c + "'");
            }
        };
    }

    private Map<String, Object> object(int depth) {
        i++;
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (peek() == '}') {
            i++;
            return m;
        }
        while (true) {
            ws();
            if (peek() != '"') {
                throw fail("expected a string key");
            }
            int at = i;
            String key = string();
            ws();
            expect(':');
            ws();
            Object v = value(depth + 1);
            if (m.containsKey(key)) {
                i = at;
                throw fail("duplicate key \"" + key + "\"");
            }
            m.put(key, v);
            ws();
            if (peek() == ',') {
                i++;
            } else if (peek() == '}') {
                i++;
                return m;
            } else {
                throw fail("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) {
        i++;
        List<Object> l = new ArrayList<>();
        ws();
        if (peek() == ']') {
            i++;
            return l;
        }
        while (true) {
            ws();
            l.add(value(depth + 1));
            ws();
            if (peek() == ',') {
                i++;
            } else if (peek() == ']') {
                i++;
                return l;
            } else {
                throw fail("expected ',' or ']'");
            }
        }
    }

    private String string() {
        i++; // opening quote
        StringBuilder b = new StringBuilder();
        while (true) {
            if (i >= s.length()) {
                throw fail("unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return b.toString();
            }
            if (c < 0x20) {
                throw fail("control character in string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i >= s.length()) {
                throw fail("unterminated escape");
            }
            char e = s.charAt(i++);
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        throw fail("short \\u escape");
                    }
                    int cp = 0;
                    for (int k = 0; k < 4; k++) {
                        int d = Character.digit(s.charAt(i++), 16);
                        if (d < 0) {
                            throw fail("bad hex digit in \\u escape");
                        }
                        cp = cp * 16 + d;
                    }
                    b.append((char) cp); // surrogate pairs arrive as two escapes and recombine in the String
                }
                default -> throw fail("bad escape \\" + e);
            }
        }
    }

    private Object number() {
        int start = i;
        if (peek() == '-') {
            i++;
        }
        if (peek() == '0') {
            i++;
        } else if (peek() >= '1' && peek() <= '9') {
            digits();
        } else {
            throw fail("bad number");
        }
        boolean integral = true;
        if (peek() == '.') {
            i++;
            integral = false;
            if (digits() == 0) {
                throw fail("digits expected after '.'");
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            i++;
            integral = false;
            if (peek() == '+' || peek() == '-') {
                i++;
            }
            if (digits() == 0) {
                throw fail("digits expected in exponent");
            }
        }
        String text = s.substring(start, i);
        if (integral) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                // beyond 64 bits: a double keeps it as a number, and integer fields reject it
            }
        }
        return Double.parseDouble(text);
    }

    private int digits() {
        int start = i;
        while (peek() >= '0' && peek() <= '9') {
            i++;
        }
        return i - start;
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, i)) {
            throw fail("unexpected token");
        }
        i += word.length();
        return v;
    }

    private void ws() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            i++;
        }
    }

    private char peek() {
        return i < s.length() ? s.charAt(i) : '\0';
    }

    private void expect(char c) {
        if (peek() != c) {
            throw fail("expected '" + c + "'");
        }
        i++;
    }

    private CheckpointFormatException fail(String problem) {
        return new CheckpointFormatException(file, "bad JSON at offset " + i + ": " + problem);
    }
}
