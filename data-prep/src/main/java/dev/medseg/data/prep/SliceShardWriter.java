package dev.medseg.data.prep;

import dev.medseg.data.slices.SliceSchema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Writes one task's slice rows (full {@link SliceSchema} rows, partition columns first) as Parquet shards under
 * {@code dir/dataset=D/split=S/}, named as Spark names a partitioned write's files
 * ({@code part-PPPPP-JOBID.cNNN.snappy.parquet}) and rotated after {@code maxRecordsPerFile} rows. Rows arrive
 * grouped by partition (the job builds each task from one split of one dataset, cases in id order, slices in
 * order), so at most one file is open; a row of an earlier partition would make a second file for it, never a
 * wrong one.
 */
final class SliceShardWriter {

    /** Columns never dictionary-encoded: their values are unique, and large. */
    static final Set<String> NO_DICTIONARY = Set.of(SliceSchema.IMAGE, SliceSchema.LABEL_NATIVE);

    private SliceShardWriter() {
    }

    /**
     * Writes all of {@code rows}.
     *
     * @param dir       directory the partition directories are created in
     * @param partition task partition number, in the file names
     * @param jobId     id shared by the job's files, in the file names
     * @return the written files, relative to {@code dir}, in writing order
     */
    static List<String> write(Iterator<Row> rows, Path dir, int partition, String jobId, long maxRecordsPerFile,
                              Configuration conf) {
        StructType fileSchema = SliceSchema.fileSchema();
        int first = SliceSchema.PARTITION_COLUMNS.size();
        List<String> written = new ArrayList<>();
        ParquetRowWriter open = null;
        String openPartition = null;
        int fileCount = 0;
        try {
            while (rows.hasNext()) {
                Row r = rows.next();
                String partitionDir = partitionDir(r);
                if (open != null && (!partitionDir.equals(openPartition) || open.rows() >= maxRecordsPerFile)) {
                    open.close();
                    open = null;
                }
                if (open == null) {
                    String rel = partitionDir + "/" + String.format("part-%05d-%s.c%03d.snappy.parquet", partition,
                            jobId, fileCount++);
                    open = new ParquetRowWriter(new Path(dir, rel), fileSchema, first, conf, NO_DICTIONARY);
                    openPartition = partitionDir;
                    written.add(rel);
                }
                open.write(r);
            }
            if (open != null) {
                ParquetRowWriter last = open;
                open = null;
                last.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing slice shards under " + dir, e);
        } finally {
            if (open != null) { // a failure mid-file: the attempt's directory is dropped by the driver
                try {
                    open.close();
                } catch (IOException | RuntimeException ignored) {
                    // the primary failure is already propagating
                }
            }
        }
        return written;
    }

    /** {@code dataset=D/split=S}, values escaped as Spark escapes partition directory names. */
    static String partitionDir(Row r) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < SliceSchema.PARTITION_COLUMNS.size(); i++) {
            if (i > 0) {
                sb.append('/');
            }
            String value = Objects.requireNonNull(r.getString(i), "partition column " + SliceSchema.PARTITION_COLUMNS.get(i));
            sb.append(ExternalCatalogUtils.escapePathName(SliceSchema.PARTITION_COLUMNS.get(i))).append('=')
                    .append(ExternalCatalogUtils.escapePathName(value));
        }
        return sb.toString();
    }
}
