package dev.medseg.data.prep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void compactTextKeepsOrderAndWritesNonFiniteAsNull() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("z", 1L);
        m.put("a", List.of(2.5, Double.NaN, Double.POSITIVE_INFINITY));
        m.put("px", new long[]{6, 0});
        m.put("s", "q\"\n");
        m.put("n", null);
        assertEquals("{\"z\":1,\"a\":[2.5,null,null],\"px\":[6,0],\"s\":\"q\\\"\\n\",\"n\":null}", Json.write(m));
    }

    @Test
    void prettyTextIndentsTwoSpacesWithKeyColonSpace() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prep_version", "slices/1");
        m.put("splits", Map.of("test", Map.of("cases", 1)));
        assertEquals("{\n  \"prep_version\": \"slices/1\",\n  \"splits\": {\n    \"test\": {\n      \"cases\": 1\n    }\n  }\n}\n",
                Json.pretty(m));
    }
}
