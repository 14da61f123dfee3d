package dev.medseg.data.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StrictJsonTest {

    @Test
    void parsesAllValueKinds() {
        Object v = StrictJson.parse("{\"a\": [1, -2.5e3, 0, true, false, null], \"s\": \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\","
                + " \"o\": {}, \"e\": []}", "t.json");
        Map<?, ?> m = (Map<?, ?>) v;
        List<?> a = (List<?>) m.get("a");
        assertEquals(new BigDecimal("1"), a.get(0));
        assertEquals(0, new BigDecimal("-2500").compareTo((BigDecimal) a.get(1)));
        assertEquals(Boolean.TRUE, a.get(3));
        assertEquals(Boolean.FALSE, a.get(4));
        assertSame(StrictJson.NULL, a.get(5));
        assertEquals("x\"\\/\b\f\n\r\té\uD83D\uDE00", m.get("s"));
        assertEquals(Map.of(), m.get("o"));
        assertEquals(List.of(), m.get("e"));
        assertEquals(List.of("a", "s", "o", "e"), List.copyOf(m.keySet()));
    }

    @Test
    void toleratesByteOrderMarkAndWhitespace() {
        assertEquals(new BigDecimal("3"), StrictJson.parse("\uFEFF \r\n\t3 \n", "t"));
    }

    @Test
    void rejectsMalformedInputWithPosition() {
        assertError("{\"a\": 1,}", "line 1 column 9: expected a string key");
        assertError("[1, 2,]", "expected a value");
        assertError("{\"a\": 1\n \"b\": 2}", "line 2 column 2: expected ',' or '}'");
        assertError("{\"a\": 1, \"a\": 2}", "duplicate key \"a\"");
        assertError("01", "leading zero");
        assertError("1.", "digit after decimal point");
        assertError("-", "expected a digit");
        assertError("\"abc", "unterminated string");
        assertError("\"a\nb\"", "control character U+000A");
        assertError("\"\\x\"", "invalid escape");
        assertError("\"\\ud800\"", "without a following low surrogate");
        assertError("\"\\udc00\"", "lone low surrogate");
        assertError("\"\\u12g4\"", "invalid hex digit");
        assertError("tru", "expected true");
        assertError("// c\n1", "unexpected character '/'");
        assertError("1 2", "unexpected content after the top-level value");
        assertError("", "unexpected end of input");
        assertError("1" + "0".repeat(200), "number longer than");
    }

    @Test
    void deepNestingFailsCleanlyInsteadOfOverflowingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> StrictJson.parse(deep, "deep.json"));
        assertTrue(e.getMessage().contains("nesting deeper than " + StrictJson.MAX_DEPTH), e.getMessage());
        String ok = "[".repeat(StrictJson.MAX_DEPTH) + "]".repeat(StrictJson.MAX_DEPTH);
        assertTrue(StrictJson.parse(ok, "ok") instanceof List);
    }

    private static void assertError(String text, String fragment) {
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> StrictJson.parse(text, "bad.json"),
                () -> "should reject: " + text);
        assertTrue(e.getMessage().startsWith("bad.json: invalid JSON at line "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
