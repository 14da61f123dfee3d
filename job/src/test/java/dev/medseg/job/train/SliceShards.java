package dev.medseg.job.train;

import dev.medseg.data.slices.SliceSchema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Writes small slice shards in the prep output layout, for training tests. */
final class SliceShards {
    private SliceShards() {}

    /** Appends {@code samples} as dataset/split rows under {@code root}/slices. */
    static void write(SparkSession spark, Path root, String dataset, String split, List<SliceSample> samples, int channels) {
        List<Row> rows = new ArrayList<>();
        for (SliceSample s : samples) {
            int side = (int) Math.round(Math.sqrt(s.label().length));
            rows.add(RowFactory.create(dataset, split, s.caseId(), s.sliceIndex(), 1, channels, side, side,
                    SliceSchema.encodeImage(s.image()), s.label(), null,
                    scala.jdk.javaapi.CollectionConverters.asScala(List.of(1.0, 1.0, 1.0)).toSeq(),
                    side, side, "synthetic/" + s.caseId(), "synthetic/" + s.caseId() + "_mask", SliceSchema.VERSION));
        }
        spark.createDataFrame(rows, SliceSchema.schema()).write().mode("append")
                .partitionBy(SliceSchema.PARTITION_COLUMNS.toArray(String[]::new))
                .parquet(root.resolve("slices").toString());
    }

    /**
     * Phantom slices: a bright disc (class 1) and, for 3 classes, a dimmer square (class 2) on a noisy background,
     * at seeded positions. Learnable in a few dozen steps by a tiny model.
     */
    static List<SliceSample> phantoms(String casePrefix, int n, int size, int classes, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<SliceSample> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            float[] img = new float[size * size];
            byte[] lbl = new byte[size * size];
            for (int i = 0; i < img.length; i++) img[i] = (float) (0.1 * r.nextDouble());
            int cx = r.nextInt(size / 4, 3 * size / 4), cy = r.nextInt(size / 4, 3 * size / 4), rad = size / 6;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= rad * rad) {
                        img[y * size + x] = 0.9f;
                        lbl[y * size + x] = 1;
                    }
                }
            }
            if (classes > 2) {
                int sx = r.nextInt(0, size - size / 5), sy = r.nextInt(0, size - size / 5);
                for (int y = sy; y < sy + size / 5; y++) {
                    for (int x = sx; x < sx + size / 5; x++) {
                        if (lbl[y * size + x] == 0) {
                            img[y * size + x] = 0.5f;
                            lbl[y * size + x] = 2;
                        }
                    }
                }
            }
            out.add(new SliceSample(casePrefix + (k / 4), k % 4, img, lbl));
        }
        return out;
    }
}
