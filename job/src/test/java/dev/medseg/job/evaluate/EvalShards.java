package dev.medseg.job.evaluate;

import dev.medseg.data.prep.Interpolation;
import dev.medseg.data.prep.Resampler;
import dev.medseg.data.slices.SliceSchema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Slice shards for evaluation tests, as prep writes them for val/test splits: model-size images and labels plus
 * the native label ({@code label_native}) at a native size that differs from the model's.
 */
final class EvalShards {
    private EvalShards() {
    }

    /** One native case: (D, H, W) labels and images, spacing (row, column, slice). */
    record NativeCase(String id, int depth, int height, int width, byte[] labels, float[] images, double[] spacing,
                      String source) {
        byte[] labelSlice(int z) {
            byte[] out = new byte[height * width];
            System.arraycopy(labels, z * height * width, out, 0, out.length);
            return out;
        }

        float[] imageSlice(int z) {
            float[] out = new float[height * width];
            System.arraycopy(images, z * height * width, out, 0, out.length);
            return out;
        }

        /** The model-size image of slice z, resampled as prep does (cubic). */
        float[] modelImage(int z, int size) {
            return Resampler.resize(imageSlice(z), height, width, size, size, Interpolation.CUBIC);
        }
    }

    /**
     * A phantom case: a bright disc (class 1), a dimmer rectangle (class 2) and a small bright-ish square (class 3)
     * whose positions drift with the slice, on a noisy background.
     */
    static NativeCase phantom(String id, int depth, int height, int width, double[] spacing, long seed, String source) {
        SplittableRandom r = new SplittableRandom(seed);
        int plane = height * width;
        byte[] labels = new byte[depth * plane];
        float[] images = new float[depth * plane];
        int cx = r.nextInt(width / 3, 2 * width / 3);
        int cy = r.nextInt(height / 3, 2 * height / 3);
        for (int z = 0; z < depth; z++) {
            int rad = height / 6 + z % 2;
            int sx = r.nextInt(0, width - width / 4);
            int sy = r.nextInt(0, height - height / 5);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int i = z * plane + y * width + x;
                    images[i] = (float) (0.1 * r.nextDouble());
                    if ((x - cx - z) * (x - cx - z) + (y - cy) * (y - cy) <= rad * rad) {
                        labels[i] = 1;
                        images[i] = 0.9f;
                    } else if (x >= sx && x < sx + width / 4 && y >= sy && y < sy + height / 5) {
                        labels[i] = 2;
                        images[i] = 0.5f;
                    } else if (x >= 2 && x < 6 && y >= 2 + z && y < 6 + z) {
                        labels[i] = 3;
                        images[i] = 0.7f;
                    }
                }
            }
        }
        return new NativeCase(id, depth, height, width, labels, images, spacing, source);
    }

    /** The slice-table row of slice z of {@code c}, with the given native label (null: none). */
    static Row row(String dataset, String split, NativeCase c, int z, int numSlices, int size, byte[] labelNative) {
        byte[] label = Resampler.resizeLabels(c.labelSlice(z), c.height(), c.width(), size, size);
        return RowFactory.create(dataset, split, c.id(), z, numSlices, 1, size, size,
                SliceSchema.encodeImage(c.modelImage(z, size)), label, labelNative, seq(c.spacing()), c.height(),
                c.width(), c.source(), c.source() + "_gt", SliceSchema.VERSION);
    }

    /** Every slice of {@code c} as rows, native labels included. */
    static List<Row> rows(String dataset, String split, NativeCase c, int size) {
        List<Row> out = new ArrayList<>();
        for (int z = 0; z < c.depth(); z++) {
            out.add(row(dataset, split, c, z, c.depth(), size, c.labelSlice(z)));
        }
        return out;
    }

    static scala.collection.immutable.Seq<Double> seq(double[] s) {
        return scala.jdk.javaapi.CollectionConverters.asScala(List.of(s[0], s[1], s[2])).toList();
    }

    /** Appends rows under {@code root}/slices, partitioned as prep does. */
    static void write(SparkSession spark, Path root, List<Row> rows) {
        spark.createDataFrame(rows, SliceSchema.schema()).write().mode("append")
                .partitionBy(SliceSchema.PARTITION_COLUMNS.toArray(String[]::new))
                .parquet(root.resolve("slices").toString());
    }
}
