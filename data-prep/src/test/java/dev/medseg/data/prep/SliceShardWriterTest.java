package dev.medseg.data.prep;

import dev.medseg.data.slices.SliceSchema;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shard layout, file rotation and the Spark footer of the task-side Parquet writer. */
class SliceShardWriterTest {

    @TempDir
    Path dir;

    private static Row row(String split, String caseId, int z, byte[] labelNative) {
        byte[] image = SliceSchema.encodeImage(new float[]{z, z + 0.5f, -z, 1f / (z + 1)});
        return RowFactory.create("synapse", split, caseId, z, 3, 1, 2, 2, image, new byte[]{1, 0, (byte) z, 8},
                labelNative, scala.jdk.javaapi.CollectionConverters.asScala(List.of(0.75, 0.8, 3.0)).toList(),
                4, 4, "/in/img.nii.gz", null, SliceSchema.VERSION);
    }

    private static List<Group> read(Path file) throws IOException {
        List<Group> out = new ArrayList<>();
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(),
                new org.apache.hadoop.fs.Path(file.toString())).build()) {
            for (Group g = r.read(); g != null; g = r.read()) {
                out.add(g);
            }
        }
        return out;
    }

    @Test
    void rotatesFilesPerPartitionAndKeepsRowOrder() throws IOException {
        List<Row> rows = new ArrayList<>();
        for (int z = 0; z < 3; z++) {
            rows.add(row("train", "case0005", z, null));
        }
        rows.add(row("train", "case0006", 0, null));
        rows.add(row("train", "case0006", 1, null));
        rows.add(row("test", "case0001", 0, new byte[]{0, 0, 8, 5}));
        List<String> files = SliceShardWriter.write(rows.iterator(), new org.apache.hadoop.fs.Path(dir.toString()), 7,
                "job", 2, new Configuration());
        assertEquals(List.of(
                "dataset=synapse/split=train/part-00007-job.c000.snappy.parquet",
                "dataset=synapse/split=train/part-00007-job.c001.snappy.parquet",
                "dataset=synapse/split=train/part-00007-job.c002.snappy.parquet",
                "dataset=synapse/split=test/part-00007-job.c003.snappy.parquet"), files);

        List<String> keys = new ArrayList<>();
        for (String f : files) {
            for (Group g : read(dir.resolve(f))) {
                keys.add(g.getString(SliceSchema.CASE_ID, 0) + "/" + g.getInteger(SliceSchema.SLICE_INDEX, 0));
            }
        }
        assertEquals(List.of("case0005/0", "case0005/1", "case0005/2", "case0006/0", "case0006/1", "case0001/0"), keys);

        Group t = read(dir.resolve(files.get(3))).get(0);
        assertArrayEquals(SliceSchema.encodeImage(new float[]{0, 0.5f, 0, 1}), t.getBinary(SliceSchema.IMAGE, 0).getBytes());
        assertArrayEquals(new byte[]{0, 0, 8, 5}, t.getBinary(SliceSchema.LABEL_NATIVE, 0).getBytes());
        assertEquals(3.0, t.getGroup(SliceSchema.SPACING, 0).getGroup("list", 2).getDouble("element", 0));
        assertEquals(0, t.getFieldRepetitionCount(SliceSchema.SOURCE_LABEL)); // null stays null
        assertEquals(0, read(dir.resolve(files.get(0))).get(0).getFieldRepetitionCount(SliceSchema.LABEL_NATIVE));
    }

    @Test
    void footerCarriesTheSparkSchemaWithComments() throws IOException {
        List<String> files = SliceShardWriter.write(List.of(row("val", "case0002", 0, new byte[4])).iterator(),
                new org.apache.hadoop.fs.Path(dir.toString()), 0, "j", 100, new Configuration());
        Path file = dir.resolve(files.get(0));
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toString()), new Configuration()))) {
            var meta = r.getFooter().getFileMetaData();
            assertEquals(SliceSchema.fileSchema().json(), meta.getKeyValueMetaData().get(ParquetRowWriter.SPARK_SCHEMA_KEY));
            assertTrue(meta.getKeyValueMetaData().get(ParquetRowWriter.SPARK_SCHEMA_KEY).contains("\"comment\""));
            assertEquals(ParquetRowWriter.parquetSchema(SliceSchema.fileSchema()), meta.getSchema());
            assertFalse(meta.getSchema().containsField(SliceSchema.SPLIT)); // partition columns live in directories
        }
    }

    @Test
    void nullInARequiredColumnIsRefused() {
        Row bad = RowFactory.create("synapse", "train", null, 0, 1, 1, 2, 2, new byte[16], null, null,
                scala.jdk.javaapi.CollectionConverters.asScala(List.of(1.0, 1.0, 1.0)).toList(), 2, 2, "x", null,
                SliceSchema.VERSION);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SliceShardWriter.write(
                List.of(bad).iterator(), new org.apache.hadoop.fs.Path(dir.toString()), 0, "j", 10, new Configuration()));
        assertTrue(e.getMessage().contains("column case_id is not nullable"), e.getMessage());
    }
}
