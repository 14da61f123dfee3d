package dev.medseg.job.bench;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class BenchLineTest {
    @Test
    void writesOneCompactObjectWithNameValueUnitConfigInThatOrder() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model", "transunet");
        c.put("batch", 2);
        c.put("load", List.of(1.5, 2.0, 0.25));
        c.put("times", new double[]{5.123456, 6.0});
        c.put("note", "a \"quoted\"\tpath\\x\n");
        c.put("missing", null);
        c.put("flag", true);
        String json = new BenchLine("train_step.transunet.seconds", 5.123456789, "s/step (median)", c).toJson();
        assertEquals("{\"name\":\"train_step.transunet.seconds\",\"value\":5.1235,\"unit\":\"s/step (median)\","
                + "\"config\":{\"model\":\"transunet\",\"batch\":2,\"load\":[1.5,2,0.25],\"times\":[5.1235,6],"
                + "\"note\":\"a \\\"quoted\\\"\\tpath\\\\x\\n\",\"missing\":null,\"flag\":true}}", json);
        assertFalse(json.contains("\n"));
    }

    @Test
    void nonFiniteValuesBecomeNullAndSmallValuesKeepFiveSignificantDigits() {
        assertEquals("{\"name\":\"x\",\"value\":null,\"unit\":\"u\",\"config\":{\"inf\":null}}",
                new BenchLine("x", Double.NaN, "u", Map.of("inf", Double.POSITIVE_INFINITY)).toJson());
        assertEquals(0.00012346, BenchLine.round(0.000123456789), 0);
        assertEquals(-2.5, BenchLine.round(-2.5), 0);
        assertEquals(1234.5679, BenchLine.round(1234.567891), 0);
    }

    @Test
    void parseReadsBackWhatItWrites() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("batch", 2);
        c.put("model", "llm-transunet");
        BenchLine a = new BenchLine("forward.llm-transunet.images_per_s", 0.5734, "images/s", c);
        BenchLine b = BenchLine.parse(a.toJson());
        assertEquals(a.name(), b.name());
        assertEquals(a.value(), b.value(), 0);
        assertEquals(a.unit(), b.unit());
        assertEquals(2L, ((Number) b.config().get("batch")).longValue());
        assertEquals("llm-transunet", b.config().get("model"));
        assertEquals(a.toJson(), b.toJson());
    }

    @Test
    void parseRejectsOtherTextWithTheLineInTheMessage() {
        var e1 = assertThrows(BenchException.class, () -> BenchLine.parse("{\"name\":\"x\",\"value\":1"));
        assertTrue(e1.getMessage().startsWith("not a JSON bench line"), e1.getMessage());
        var e2 = assertThrows(BenchException.class, () -> BenchLine.parse("{\"name\":\"x\",\"value\":\"fast\",\"unit\":\"s\"}"));
        assertTrue(e2.getMessage().contains("lacks name/value/unit"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BenchLine(" ", 1, "s", null));
    }
}
