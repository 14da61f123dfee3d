package dev.medseg.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesAllValueKinds() {
        Object v = Json.parse(" {\"a\": [1, -2, 3.5, 1e2, true, false, null], \"s\": \"x\\\"\\\\\\/\\n\\u00e9\\ud83d\\ude00\","
                + " \"big\": 18446744073709551616, \"o\": {}} ", "t.json");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of(1L, -2L, 3.5, 100.0, true, false), ((List<?>) m.get("a")).subList(0, 6));
        assertNull(((List<?>) m.get("a")).get(6));
        assertEquals("x\"\\/\n\u00e9\ud83d\ude00", m.get("s"));
        assertEquals(1.8446744073709552E19, m.get("big")); // beyond a long: kept as a number, not an integer
        assertEquals(Map.of(), m.get("o"));
        assertEquals(List.of("a", "s", "big", "o"), List.copyOf(m.keySet())); // key order kept
    }

    @Test
    void writerOutputParsesBack() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("k\"\n\u0001", List.of(1L, "two", true));
        m.put("n", null);
        String text = Json.write(m);
        assertEquals("{\"k\\\"\\n\\u0001\":[1,\"two\",true],\"n\":null}", text);
        assertEquals(m, Json.parse(text, "w"));
    }

    @Test
    void rejectsWhatJsonForbids() {
        for (String bad : List.of("{\"a\":1,}", "[1,]", "01", "1.", "-", "+1", "'a'", "{\"a\" 1}", "\"tab\there\"",
                "\"\\x\"", "{\"a\":1}{", "[1 2]", "tru", "\"open", "{\"a\":1,\"a\":2}", "", "\"\\u12g4\"", "NaN")) {
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Json.parse(bad, "h.json"), bad);
            assertTrue(e.getMessage().startsWith("h.json: bad JSON at offset"), e.getMessage());
        }
    }

    @Test
    void deepNestingIsRejectedWithoutStackOverflow() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Json.parse(deep, "deep.json"));
        assertTrue(e.getMessage().startsWith("deep.json: bad JSON at offset "), e.getMessage());
        assertTrue(e.getMessage().contains("nesting depth (65) exceeds the maximum allowed (" + Json.MAX_DEPTH), e.getMessage());
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        Json.parse(ok, "ok.json");
    }

    @Test
    void rejectsInvalidUtf8() {
        byte[] bad = {'"', (byte) 0xc3, '"'};
        assertTrue(assertThrows(CheckpointFormatException.class, () -> Json.parse(bad, "u.json"))
                .getMessage().contains("not valid UTF-8"));
        assertEquals("\u00e9", Json.parse("\"\u00e9\"".getBytes(StandardCharsets.UTF_8), "u.json"));
    }

    @Test
    void duplicateKeysAndLongNumbersAreRefusedByTheParserLimits() {
        CheckpointFormatException dup = assertThrows(CheckpointFormatException.class,
                () -> Json.parse("{\"w\": {}, \"w\": {}}", "dup.json"));
        assertEquals("dup.json: bad JSON at offset 13: Duplicate field 'w'", dup.getMessage().replaceAll("\\s+at \\[.*", ""));
        CheckpointFormatException num = assertThrows(CheckpointFormatException.class,
                () -> Json.parse("[" + "9".repeat(Json.MAX_NUMBER_CHARS + 1) + "]", "n.json"));
        assertTrue(num.getMessage().contains("Number value length (101) exceeds the maximum allowed (100"), num.getMessage());
        assertEquals(List.of(Long.MAX_VALUE), Json.parse("[9223372036854775807]", "n.json"));
    }
}
