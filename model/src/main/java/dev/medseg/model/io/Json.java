package dev.medseg.model.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict JSON (RFC 8259) for checkpoint headers and index files, on Jackson's streaming parser.
 * Values map to {@code LinkedHashMap<String,Object>} (key order kept, duplicate keys rejected),
 * {@code ArrayList<Object>}, {@code String}, {@code Long} (integers that fit), {@code Double}, {@code Boolean}
 * and {@code null}. Jackson's {@link StreamReadConstraints} bound nesting, text and number lengths, so a hostile
 * safetensors header cannot overflow the stack or exhaust the heap; every error is a
 * {@link CheckpointFormatException} naming the file and the offset.
 */
public final class Json {
    /** Deeper than any checkpoint header; keeps recursion far from the thread's stack limit. */
    public static final int MAX_DEPTH = 64;
    /** Longest JSON text accepted, in characters: the safetensors header limit. */
    public static final long MAX_CHARS = SafetensorsSource.MAX_HEADER_BYTES;
    /** Longest number literal: real headers hold offsets of at most 20 digits. */
    static final int MAX_NUMBER_CHARS = 100;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxDocumentLength(MAX_CHARS)
                    .maxStringLength((int) MAX_CHARS)
                    .maxNumberLength(MAX_NUMBER_CHARS)
                    .build())
            .build();
    private static final ObjectMapper WRITER = JsonMapper.builder().build();

    private Json() {
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
        JsonParser p;
        try {
            p = FACTORY.createParser(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a String source does no I/O
        }
        try (p) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw fail(file, p.currentLocation(), "unexpected end of JSON");
            }
            Object v = value(p, first);
            if (p.nextToken() != null) {
                throw fail(file, p.currentTokenLocation(), "unexpected text after the JSON value");
            }
            return v;
        } catch (JsonProcessingException e) {
            // limit violations carry no location of their own: the parser's position is where it stopped
            throw fail(file, e.getLocation() != null ? e.getLocation() : p.currentLocation(), e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Serialises maps, lists, strings, numbers, booleans and null as compact JSON. */
    public static String write(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** Recursion depth is bounded by the parser's nesting limit, checked before each nested token. */
    private static Object value(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    m.put(key, value(p, p.nextToken()));
                }
                yield m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(value(p, e));
                }
                yield l;
            }
            case VALUE_STRING -> p.getText();
            // beyond 64 bits: a double keeps it as a number, and integer fields reject it
            case VALUE_NUMBER_INT -> p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? (Object) p.getDoubleValue() : (Object) p.getLongValue(); // casts: no numeric promotion to double
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw new IllegalStateException("unexpected token " + t); // the parser never yields others here
        };
    }

    private static CheckpointFormatException fail(String file, JsonLocation at, String problem) {
        long offset = at == null ? -1 : at.getCharOffset();
        return new CheckpointFormatException(file, "bad JSON at offset " + offset + ": " + problem);
    }
}
