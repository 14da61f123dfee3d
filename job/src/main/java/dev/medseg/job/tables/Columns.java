package dev.medseg.job.tables;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;

/** Small helpers shared by the table records: commented fields and null-aware reads from a {@link Row}. */
final class Columns {
    private Columns() {
    }

    /** A field with its comment stored in the schema metadata, where {@code DESCRIBE} and notebooks show it. */
    static StructField field(String name, DataType type, boolean nullable, String comment) {
        return new StructField(name, type, nullable, Metadata.empty()).withComment(comment);
    }

    /** A double column that may be null. */
    static Double nullableDouble(Row row, String column) {
        int i = row.fieldIndex(column);
        return row.isNullAt(i) ? null : row.getDouble(i);
    }

    /** A long column that may be null. */
    static Long nullableLong(Row row, String column) {
        int i = row.fieldIndex(column);
        return row.isNullAt(i) ? null : row.getLong(i);
    }

    /** A string column that may be null. */
    static String string(Row row, String column) {
        int i = row.fieldIndex(column);
        return row.isNullAt(i) ? null : row.getString(i);
    }

    /** A non-null column, with a message naming the table and column when it is null. */
    static Object required(Row row, String column, String table) {
        int i = row.fieldIndex(column);
        if (row.isNullAt(i)) {
            throw new ResultTableException(table + ": column " + column + " is null in row " + row);
        }
        return row.get(i);
    }

    /** A timestamp as Spark returns it (java.sql.Timestamp, or Instant/LocalDateTime with the Java 8 time API). */
    static Instant instant(Row row, String column) {
        int i = row.fieldIndex(column);
        if (row.isNullAt(i)) {
            return null;
        }
        Object v = row.get(i);
        if (v instanceof Timestamp t) {
            return t.toInstant();
        }
        if (v instanceof Instant t) {
            return t;
        }
        if (v instanceof LocalDateTime t) {
            return t.atZone(ZoneId.systemDefault()).toInstant();
        }
        throw new ResultTableException("column " + column + " holds " + v.getClass().getName() + ", not a timestamp");
    }

    /** The value Spark's row converters accept for a TimestampType column. */
    static Timestamp timestamp(Instant instant) {
        return instant == null ? null : Timestamp.from(instant);
    }
}
