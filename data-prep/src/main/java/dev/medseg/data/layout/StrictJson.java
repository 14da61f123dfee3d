package dev.medseg.data.layout;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict RFC 8259 JSON for small metadata files such as {@code dataset.json}, on Jackson's streaming parser.
 *
 * <p>Values become {@code Map<String, Object>} (insertion order, unmodifiable), {@code List<Object>},
 * {@code String}, {@link BigDecimal}, {@code Boolean}, or {@link #NULL}. Strict: one top-level value,
 * no comments, no trailing commas, no duplicate keys, no leading zeros, no control characters in strings,
 * valid surrogate pairs. Bounded by Jackson's {@link StreamReadConstraints} (text length, nesting depth, number
 * length), so a hostile file cannot exhaust the stack or the heap; every error names the source, line and column.
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

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxDocumentLength(MAX_CHARS)
                    .maxStringLength(MAX_CHARS)
                    .maxNumberLength(MAX_NUMBER_CHARS)
                    .build())
            .build();

    private StrictJson() {
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
        // tolerate a UTF-8 byte-order mark, common in files saved on Windows
        String body = text.startsWith("\uFEFF") ? text.substring(1) : text;
        JsonParser p;
        try {
            p = FACTORY.createParser(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a String source does no I/O
        }
        try (p) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw error(source, p.currentLocation(), "unexpected end of input, expected a value");
            }
            Object value = value(p, first, source);
            if (p.nextToken() != null) {
                throw error(source, p.currentTokenLocation(), "unexpected content after the top-level value");
            }
            return value;
        } catch (JsonProcessingException e) {
            // limit violations carry no location of their own: the parser's position is where it stopped
            throw error(source, e.getLocation() != null ? e.getLocation() : p.currentLocation(), e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Recursion depth is bounded by the parser's nesting limit, checked before each nested token. */
    private static Object value(JsonParser p, JsonToken t, String source) throws IOException {
        return switch (t) {
            case START_OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = checkedText(p, p.currentName(), source);
                    map.put(key, value(p, p.nextToken(), source));
                }
                yield Collections.unmodifiableMap(map);
            }
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    list.add(value(p, e, source));
                }
                yield Collections.unmodifiableList(list);
            }
            case VALUE_STRING -> checkedText(p, p.getText(), source);
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getDecimalValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> NULL;
            default -> throw new IllegalStateException("unexpected token " + t); // the parser never yields others here
        };
    }

    /** Jackson passes {@code \\u} escapes through unchecked; an unpaired surrogate is not text, so refuse it. */
    private static String checkedText(JsonParser p, String s, String source) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    throw error(source, p.currentTokenLocation(), String.format("high surrogate U+%04X without a following low surrogate", (int) c));
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                throw error(source, p.currentTokenLocation(), String.format("lone low surrogate U+%04X", (int) c));
            }
        }
        return s;
    }

    private static DatasetLayoutException error(String source, JsonLocation at, String problem) {
        String where = at == null ? "" : " at line " + at.getLineNr() + " column " + at.getColumnNr();
        return new DatasetLayoutException(source + ": invalid JSON" + where + ": " + problem);
    }
}
