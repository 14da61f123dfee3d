package dev.medseg.job.tables;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TextTableTest {
    private final TextTable table = new TextTable(List.of("name", "dice", "n"), List.of(
            Arrays.asList("spleen, left", 0.123456, 3L),
            Arrays.asList("a\"b", Double.NaN, null)));

    @Test
    void alignedTextPadsColumnsAndRoundsForPeople() {
        assertEquals("""
                name          dice    n
                -----------------------
                spleen, left  0.1235  3
                a"b           NaN
                """, table.render(TextTable.Format.TEXT));
    }

    @Test
    void csvQuotesAndKeepsFullPrecision() {
        assertEquals("name,dice,n\n\"spleen, left\",0.123456,3\n\"a\"\"b\",NaN,\n", table.render(TextTable.Format.CSV));
    }

    @Test
    void markdownAndJsonLines() {
        assertEquals("| name | dice | n |\n|---|---|---|\n| spleen, left | 0.1235 | 3 |\n| a\"b | NaN |  |\n",
                table.render(TextTable.Format.MARKDOWN));
        assertEquals("{\"name\":\"spleen, left\",\"dice\":0.123456,\"n\":3}\n{\"name\":\"a\\\"b\",\"dice\":\"NaN\",\"n\":null}\n",
                table.render(TextTable.Format.JSON));
    }

    @Test
    void rowsMustMatchTheColumns() {
        assertThrows(IllegalArgumentException.class, () -> new TextTable(List.of("a"), List.of(List.of(1, 2))));
    }
}
