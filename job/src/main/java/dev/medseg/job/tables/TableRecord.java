package dev.medseg.job.tables;

import org.apache.spark.sql.Row;

/** A value that is one row of a result table: {@link ResultTables#append} writes a batch of them. */
public interface TableRecord {
    /** The table this record belongs to. */
    ResultTable table();

    /** The row in the column order of {@link ResultTable#schema()}. */
    Row toRow();
}
