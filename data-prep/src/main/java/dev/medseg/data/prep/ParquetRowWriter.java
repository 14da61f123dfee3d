package dev.medseg.data.prep;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Writes {@link Row}s of a flat schema straight to one Parquet file, laid out exactly as Spark's own Parquet
 * writer lays them out (same Parquet types, repetition, 3-level lists, snappy, and the footer keys Spark reads
 * its schema back from, comments included), so {@code spark.read().parquet} sees the same table.
 *
 * <p>Why not a DataFrame write: for prep's few hundred large rows, planning, code generation, the sort Spark puts
 * before a partitioned write and the Row-to-UnsafeRow copies cost more than the rows themselves; on a
 * single-case run the Spark SQL path was most of the job's time. Supported column types: string, int, binary,
 * and array of non-null double (what {@code SliceSchema} and the rejected table use).
 *
 * <p>Dictionary encoding is off for the columns named in the constructor: a 256 KB float image is never repeated,
 * so the dictionary attempt only hashes it before falling back to plain pages.
 */
final class ParquetRowWriter implements AutoCloseable {

    /** Footer key Spark stores its schema under (ParquetReadSupport.SPARK_METADATA_KEY). */
    static final String SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata";
    /** Footer key holding the Spark version that wrote the file. */
    static final String SPARK_VERSION_KEY = "org.apache.spark.version";

    private final ParquetWriter<Row> writer;
    private long rows;

    /**
     * Creates {@code file} (which must not exist) for rows of {@code schema}.
     *
     * @param firstValue   index in each written row of the value of the schema's first column (rows may carry
     *                     leading values that are not stored, such as partition columns)
     * @param noDictionary columns written without dictionary encoding
     */
    ParquetRowWriter(Path file, StructType schema, int firstValue, Configuration conf, Collection<String> noDictionary)
            throws IOException {
        Builder b = new Builder(HadoopOutputFile.fromPath(file, conf), schema, firstValue)
                .withConf(conf)
                .withWriteMode(ParquetFileWriter.Mode.CREATE)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0);
        for (String c : noDictionary) {
            b = b.withDictionaryEncoding(c, false);
        }
        writer = b.build();
    }

    /** Appends one row (values in schema order). */
    void write(Row row) throws IOException {
        writer.write(row);
        rows++;
    }

    /** Rows written so far. */
    long rows() {
        return rows;
    }

    /** Writes the footer and closes the file. */
    @Override
    public void close() throws IOException {
        writer.close();
    }

    /** The Parquet schema Spark writes for {@code schema} (its default, non-legacy list layout). */
    static MessageType parquetSchema(StructType schema) {
        List<Type> fields = new ArrayList<>();
        for (StructField f : schema.fields()) {
            Type.Repetition rep = f.nullable() ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED;
            DataType t = f.dataType();
            if (t.equals(DataTypes.StringType)) {
                fields.add(Types.primitive(PrimitiveTypeName.BINARY, rep).as(LogicalTypeAnnotation.stringType()).named(f.name()));
            } else if (t.equals(DataTypes.IntegerType)) {
                fields.add(Types.primitive(PrimitiveTypeName.INT32, rep).named(f.name()));
            } else if (t.equals(DataTypes.BinaryType)) {
                fields.add(Types.primitive(PrimitiveTypeName.BINARY, rep).named(f.name()));
            } else if (t instanceof ArrayType a && a.elementType().equals(DataTypes.DoubleType) && !a.containsNull()) {
                fields.add(Types.buildGroup(rep).as(LogicalTypeAnnotation.listType())
                        .addField(Types.repeatedGroup().addField(Types.required(PrimitiveTypeName.DOUBLE).named("element"))
                                .named("list"))
                        .named(f.name()));
            } else {
                throw new IllegalArgumentException("column " + f.name() + ": type " + t.simpleString() + " is not supported");
            }
        }
        return new MessageType("spark_schema", fields);
    }

    private static final class Builder extends ParquetWriter.Builder<Row, Builder> {
        private final StructType schema;
        private final int firstValue;

        Builder(HadoopOutputFile file, StructType schema, int firstValue) {
            super(file);
            this.schema = schema;
            this.firstValue = firstValue;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<Row> getWriteSupport(Configuration conf) {
            return new RowWriteSupport(schema, firstValue);
        }
    }

    /** Emits rows field by field, as Spark's ParquetWriteSupport does for these types. */
    private static final class RowWriteSupport extends WriteSupport<Row> {
        private final StructType schema;
        private final DataType[] types;
        private final String[] names;
        private final int firstValue;
        private RecordConsumer out;

        RowWriteSupport(StructType schema, int firstValue) {
            this.schema = schema;
            this.firstValue = firstValue;
            this.types = new DataType[schema.size()];
            this.names = schema.fieldNames();
            for (int i = 0; i < types.length; i++) {
                types[i] = schema.fields()[i].dataType();
            }
        }

        @Override
        public WriteContext init(Configuration configuration) {
            return new WriteContext(parquetSchema(schema), Map.of(
                    SPARK_VERSION_KEY, org.apache.spark.package$.MODULE$.SPARK_VERSION_SHORT(),
                    SPARK_SCHEMA_KEY, schema.json()));
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            this.out = recordConsumer;
        }

        @Override
        public void write(Row row) {
            if (row.length() != firstValue + types.length) {
                throw new IllegalArgumentException("row has " + row.length() + " values, expected " + firstValue
                        + " + " + types.length);
            }
            out.startMessage();
            for (int i = 0; i < types.length; i++) {
                Object v = row.get(firstValue + i);
                if (v == null) {
                    if (!schema.fields()[i].nullable()) {
                        throw new IllegalArgumentException("column " + names[i] + " is not nullable but the row holds null");
                    }
                    continue;
                }
                out.startField(names[i], i);
                DataType t = types[i];
                if (t.equals(DataTypes.StringType)) {
                    out.addBinary(Binary.fromString((String) v));
                } else if (t.equals(DataTypes.IntegerType)) {
                    out.addInteger((Integer) v);
                } else if (t.equals(DataTypes.BinaryType)) {
                    out.addBinary(Binary.fromConstantByteArray((byte[]) v));
                } else {
                    writeDoubles(row.getList(firstValue + i));
                }
                out.endField(names[i], i);
            }
            out.endMessage();
        }

        private void writeDoubles(List<Double> values) {
            out.startGroup();
            if (!values.isEmpty()) {
                out.startField("list", 0);
                for (Double d : values) {
                    out.startGroup();
                    out.startField("element", 0);
                    out.addDouble(d);
                    out.endField("element", 0);
                    out.endGroup();
                }
                out.endField("list", 0);
            }
            out.endGroup();
        }
    }
}
