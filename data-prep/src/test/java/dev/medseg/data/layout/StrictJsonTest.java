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
        assertError("{\"a\": 1,}", "line 1 column 9: Unexpected character ('}' (code 125)): was expecting double-quote to start field name");
        assertError("[1, 2,]", "expected a valid value");
        assertError("{\"a\": 1\n \"b\": 2}", "line 2 column 2: Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries");
        assertError("{\"a\": 1, \"a\": 2}", "Duplicate field 'a'");
        assertError("01", "Leading zeroes not allowed");
        assertError("1.", "Decimal point not followed by a digit");
        assertError("-", "No digit following sign");
        assertError("\"abc", "was expecting closing quote for a string value");
        assertError("\"a\nb\"", "Illegal unquoted character ((CTRL-CHAR, code 10))");
        assertError("\"\\x\"", "Unrecognized character escape 'x'");
        assertError("\"\\ud800\"", "without a following low surrogate");
        assertError("\"\\udc00\"", "lone low surrogate");
        assertError("\"\\u12g4\"", "expected a hex-digit for character escape sequence");
        assertError("tru", "Unrecognized token 'tru'");
        assertError("// c\n1", "Unexpected character ('/' (code 47))");
        assertError("1 2", "unexpected content after the top-level value");
        assertError("", "unexpected end of input");
        assertError("NaN", "Non-standard token 'NaN'");
        assertError("{'a': 1}", "was expecting double-quote to start field name");
        assertError("1" + "0".repeat(200), "Number value length (201) exceeds the maximum allowed (100");
    }

    @Test
    void deepNestingFailsCleanlyInsteadOfOverflowingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        DatasetLayoutException e = assertThrows(DatasetLayoutException.class, () -> StrictJson.parse(deep, "deep.json"));
        assertTrue(e.getMessage().contains("nesting depth (65) exceeds the maximum allowed (" + StrictJson.MAX_DEPTH), e.getMessage());
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
