package dev.medseg.data.prep;

import dev.medseg.data.io.CanonicalOrientation;
import dev.medseg.data.io.NiftiHeader;
import dev.medseg.data.io.NiftiReader;
import dev.medseg.data.layout.BusiLayout;
import dev.medseg.data.layout.CaseRef;
import dev.medseg.data.layout.CvcClinicDbLayout;
import dev.medseg.data.layout.CvcColonDbLayout;
import dev.medseg.data.layout.DatasetLayout;
import dev.medseg.data.layout.DatasetLayouts;
import dev.medseg.data.layout.DecathlonLayout;
import dev.medseg.data.layout.ImagesMasksLayout;
import dev.medseg.data.layout.LabelMap;
import dev.medseg.data.layout.Listing;
import dev.medseg.data.layout.Rejected;
import dev.medseg.data.layout.SeededSplit;
import dev.medseg.data.layout.Split;
import dev.medseg.data.slices.SliceSchema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.util.SerializableConfiguration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The Spark prep job: lists a dataset on the driver, turns every case into {@link SliceSchema} rows in tasks
 * (one case at a time, so one volume in memory per task), and writes
 * <pre>
 *   OUTPUT/slices/dataset=NAME/split=SPLIT/part-*.parquet   the slices, rows sorted by case_id, slice_index
 *   OUTPUT/rejected/part-*.parquet                          dataset, case_id, file, reason, stage
 *   OUTPUT/manifest.json                                    counts, class pixels, intensity stats, options
 * </pre>
 * Atomic: everything is written into a hidden sibling {@code .NAME.prep-tmp-UUID} and renamed to OUTPUT at the
 * end (manifest last), so OUTPUT either does not exist or is complete. A failed run deletes its temporary
 * directory. Row content and order are deterministic for the same input and options: cases are grouped into
 * partitions on the driver (by split, case id order, about {@code targetFileMb} of rows each), so no shuffle.
 * Output paths go through Hadoop's FileSystem (local, hdfs://, s3a://); the input is read from the local disk.
 *
 * <p>Tasks write their Parquet files themselves ({@link SliceShardWriter}, in Spark's file layout, schema and
 * footer) instead of going through a DataFrame write: for a few hundred 300 KB rows, Spark SQL's planning,
 * code generation, pre-write sort and row conversions cost more than the rows (the job in {@code local[1]} ran
 * at 0.4x the pipeline alone). The rows already arrive in the stored order, so nothing is lost by not sorting.
 */
public final class PrepJob {

    private static final Logger LOG = LoggerFactory.getLogger(PrepJob.class);

    /** Schema of the rejected table. */
    public static final StructType REJECTED_SCHEMA = new StructType(new StructField[]{
            DataTypes.createStructField("dataset", DataTypes.StringType, false),
            DataTypes.createStructField("case_id", DataTypes.StringType, true),
            DataTypes.createStructField("file", DataTypes.StringType, false),
            DataTypes.createStructField("reason", DataTypes.StringType, false),
            DataTypes.createStructField("stage", DataTypes.StringType, false)});

    /** How many rejection reasons a strict failure or summary quotes. */
    static final int QUOTED_REASONS = 5;
    static final long PROGRESS_INTERVAL_MS = 2000;

    /** Test hook, called in tasks before each case (local mode only: same JVM); null in production. */
    static volatile Consumer<CaseTask> beforeCaseForTests;

    private PrepJob() {
    }

    /** Runs with progress lines on stderr. */
    public static PrepSummary run(SparkSession spark, PrepOptions options) {
        return run(spark, options, System.err::println);
    }

    /**
     * Runs the job.
     *
     * @param progress receives console progress lines (cases done / total, slices written)
     * @throws PrepException for an existing output (without overwrite), an unusable input root or options, or
     *                       (strict) rejected cases; no output exists afterwards in any of these cases
     */
    public static PrepSummary run(SparkSession spark, PrepOptions options, Consumer<String> progress) {
        SparkContext sc = spark.sparkContext();
        Configuration hadoop = sc.hadoopConfiguration();
        org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(options.output());
        FileSystem fs = fileSystem(out, hadoop);
        out = fs.makeQualified(out);
        if (exists(fs, out) && !options.overwrite()) {
            throw new PrepException("output " + out + " already exists; choose another --output or pass --overwrite");
        }
        if (out.getParent() == null) {
            throw new PrepException("output " + out + " must not be a file system root");
        }

        warnAboutLeftovers(fs, out);

        sc.setJobDescription("prep " + options.dataset() + ": listing " + options.input());
        DatasetLayout layout = layoutFor(options);
        Listing listing;
        try {
            listing = layout.list(Path.of(options.input()));
        } catch (RuntimeException e) {
            throw new PrepException(e.getMessage(), e);
        }
        List<CaseRef> cases = applyOverrides(listing.cases(), options.splitOverrides());
        SliceRecipe recipe = recipeFor(options, layout.name(), listing.labelMap());
        List<List<CaseTask>> chunks = chunk(cases, recipe, options);
        long rowBytes = recipe.estimatedRowBytes(Math.max(1, options.channels()), 0);
        long maxRecordsPerFile = Math.max(1, options.targetFileMb() * 1024L * 1024L / rowBytes);

        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(out.getParent(),
                "." + out.getName() + ".prep-tmp-" + UUID.randomUUID());
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        PrepTallyAccumulator tallyAcc = new PrepTallyAccumulator();
        sc.register(tallyAcc, "prep tally");
        LongAccumulator casesDone = sc.longAccumulator("prep cases done");
        LongAccumulator slicesDone = sc.longAccumulator("prep slices written");
        String counts = splitCounts(cases);
        try (ProgressReporter reporter = new ProgressReporter(progress, options.dataset(), cases.size(), casesDone,
                slicesDone, PROGRESS_INTERVAL_MS)) {
            sc.setJobDescription("prep " + listing.dataset() + ": " + cases.size() + " cases (" + counts
                    + ") -> slices in " + chunks.size() + " tasks");
            // Each task writes its rows straight to Parquet in its own attempt directory and returns the files;
            // only files of attempts that succeeded are moved into slices/ (a retried task leaves no duplicate).
            org.apache.hadoop.fs.Path slicesDir = new org.apache.hadoop.fs.Path(tmp, "slices");
            String attempts = new org.apache.hadoop.fs.Path(tmp, "_attempts").toString();
            String jobId = UUID.randomUUID().toString();
            // the configuration travels in the task closure: Spark broadcasts that once per stage anyway, and a
            // broadcast of its own cost a second round trip (~0.15 s of a 3 s job)
            SerializableConfiguration conf = new SerializableConfiguration(hadoop);
            List<String> written = jsc.parallelize(chunks, Math.max(1, chunks.size()))
                    .mapPartitions(chunk -> {
                        TaskContext task = TaskContext.get();
                        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(attempts,
                                task.partitionId() + "-" + task.attemptNumber());
                        Iterator<CaseTask> it = java.util.stream.StreamSupport.stream(
                                java.util.Spliterators.spliteratorUnknownSize(chunk, 0), false)
                                .flatMap(List::stream).iterator();
                        List<String> files = SliceShardWriter.write(
                                new PartitionRows(it, recipe, tallyAcc, casesDone, slicesDone), dir,
                                task.partitionId(), jobId, maxRecordsPerFile, conf.value());
                        return files.stream().map(f -> dir + "\n" + f).iterator();
                    })
                    .collect();
            commitShards(fs, written, slicesDir);
            fs.delete(new org.apache.hadoop.fs.Path(attempts), true);
            reporter.finish();

            PrepTally tally = tallyAcc.value();
            List<RejectedCase> rejected = new ArrayList<>(tally.rejected());
            for (Rejected r : listing.rejected()) {
                rejected.add(new RejectedCase(listing.dataset(), null, r.file().toString(),
                        r.problem() + ": " + r.detail(), "listing"));
            }
            if (options.strict() && !rejected.isEmpty()) {
                throw new PrepException(strictMessage(rejected), true, null);
            }
            sc.setJobDescription("prep " + listing.dataset() + ": writing the rejected table (" + rejected.size() + " rows)");
            List<Row> rejectedRows = rejected.stream().map(r -> RowFactory.create(r.dataset(), r.caseId(), r.file(),
                    r.reason(), r.stage())).toList();
            writeRejected(fs, hadoop, new org.apache.hadoop.fs.Path(tmp, "rejected"), rejectedRows);

            Map<String, Long> bySplit = new TreeMap<>();
            long slices = 0;
            for (CaseStats s : tally.written().values()) {
                bySplit.merge(s.split(), (long) s.slices(), Long::sum);
                slices += s.slices();
            }
            Map<String, Object> manifest = Manifest.build(options, layout.name(), listing, recipe, cases.size(), tally,
                    rejected, maxRecordsPerFile, rowBytes);
            writeText(fs, new org.apache.hadoop.fs.Path(tmp, "manifest.json"), Json.pretty(manifest));
            publish(fs, tmp, out, options.overwrite());
            PrepSummary summary = new PrepSummary(listing.dataset(), out.toString(), cases.size() + listing.rejected().size(),
                    tally.written().size(), slices, bySplit, rejected, new org.apache.hadoop.fs.Path(out, "rejected").toString(),
                    new org.apache.hadoop.fs.Path(out, "manifest.json").toString());
            progress.accept("prep " + listing.dataset() + ": wrote " + slices + " slices of " + summary.casesWritten()
                    + " cases to " + out + (rejected.isEmpty() ? "" : "; " + rejected.size() + " rejected (see "
                    + summary.rejectedTable() + ")"));
            return summary;
        } catch (Exception e) { // SparkException is checked but thrown undeclared from Scala
            // tasks of an aborted job are killed asynchronously and may still create files under tmp
            awaitIdle(sc, 20_000);
            deleteUntilGone(fs, tmp, 10_000);
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("prep " + options.dataset() + " failed, nothing written: " + e.getMessage(), e);
        } finally {
            sc.setJobDescription(null);
        }
    }

    /** The layout for the options: the registry's, with the seeded split and MSD channel applied when given. */
    static DatasetLayout layoutFor(PrepOptions o) {
        DatasetLayout base;
        try {
            base = DatasetLayouts.forName(o.dataset());
        } catch (IllegalArgumentException e) {
            throw new PrepException(e.getMessage(), e);
        }
        SeededSplit s = o.seededSplit() == null ? SeededSplit.PAPER : o.seededSplit();
        if (o.seededSplit() == null && o.channel() == 0) {
            return base;
        }
        return switch (base.name()) {
            case BusiLayout.NAME -> new BusiLayout(s);
            case CvcClinicDbLayout.NAME -> new CvcClinicDbLayout(s);
            case CvcColonDbLayout.NAME -> new CvcColonDbLayout(s);
            case ImagesMasksLayout.NAME -> new ImagesMasksLayout(ImagesMasksLayout.NAME, s);
            case DecathlonLayout.NAME -> new DecathlonLayout(s, o.channel());
            default -> base; // synapse, acdc, isic2017: fixed published splits; use split overrides
        };
    }

    static List<CaseRef> applyOverrides(List<CaseRef> cases, Map<String, Split> overrides) {
        Map<String, Split> left = new TreeMap<>(overrides);
        List<CaseRef> out = new ArrayList<>();
        for (CaseRef c : cases) {
            Split s = left.remove(c.caseId());
            try {
                out.add(s == null ? c : c.withSplit(s));
            } catch (IllegalArgumentException e) {
                throw new PrepException("split override for " + c.caseId() + ": " + e.getMessage(), e);
            }
        }
        if (!left.isEmpty()) {
            throw new PrepException("split overrides name cases that are not in the dataset: " + left.keySet());
        }
        return out;
    }

    static SliceRecipe recipeFor(PrepOptions o, String layoutName, LabelMap labelMap) {
        return new SliceRecipe(o.imageSize(), o.interpolation(), o.effectiveIntensity(layoutName),
                labelMap.toLookupTable(), labelMap.numClasses(), o.channels(), o.maxVoxels());
    }

    /**
     * Groups cases into task partitions: by split, in case-id order, each about {@code targetFileMb} of estimated
     * rows (3-D slice counts from the headers; unreadable headers count as one slice, the task rejects them).
     */
    static List<List<CaseTask>> chunk(List<CaseRef> cases, SliceRecipe recipe, PrepOptions o) {
        long target = o.targetFileMb() * 1024L * 1024L;
        List<CaseRef> sorted = new ArrayList<>(cases);
        sorted.sort((a, b) -> a.split() != b.split() ? a.split().compareTo(b.split()) : a.caseId().compareTo(b.caseId()));
        List<List<CaseTask>> chunks = new ArrayList<>();
        List<CaseTask> current = new ArrayList<>();
        long bytes = 0;
        Split currentSplit = null;
        for (CaseRef c : sorted) {
            long caseBytes = estimateSlices(c, o.maxVoxels()) * recipe.estimatedRowBytes(Math.max(1, o.channels()), 0);
            if (!current.isEmpty() && (c.split() != currentSplit || bytes + caseBytes > target)) {
                chunks.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(CaseTask.of(c));
            currentSplit = c.split();
            bytes += caseBytes;
        }
        if (!current.isEmpty()) {
            chunks.add(current);
        }
        return chunks;
    }

    private static long estimateSlices(CaseRef c, long maxVoxels) {
        if (!CasePipeline.isNifti(c.image().toString())) {
            return 1;
        }
        try {
            NiftiHeader h = new NiftiReader(maxVoxels).readHeader(c.image());
            return CanonicalOrientation.canonicalGeometry(h.geometry()).nz();
        } catch (RuntimeException e) {
            return 1;
        }
    }

    private static String splitCounts(List<CaseRef> cases) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (Split s : Split.values()) {
            int n = (int) cases.stream().filter(c -> c.split() == s).count();
            if (n > 0) {
                m.put(s.partitionValue(), n);
            }
        }
        List<String> parts = new ArrayList<>();
        m.forEach((k, v) -> parts.add(k + " " + v));
        return String.join(", ", parts);
    }

    private static String strictMessage(List<RejectedCase> rejected) {
        StringBuilder sb = new StringBuilder("strict: ").append(rejected.size())
                .append(" case(s) or file(s) rejected, nothing written; first reasons:");
        rejected.stream().limit(QUOTED_REASONS).forEach(r -> sb.append("\n  ").append(r));
        if (rejected.size() > QUOTED_REASONS) {
            sb.append("\n  ... and ").append(rejected.size() - QUOTED_REASONS).append(" more");
        }
        return sb.toString();
    }

    /**
     * Moves each task's files ({@code attemptDir + "\n" + relative path}) into {@code slicesDir} and marks it
     * complete with {@code _SUCCESS}, as Spark's committer leaves a finished write.
     */
    private static void commitShards(FileSystem fs, List<String> written, org.apache.hadoop.fs.Path slicesDir)
            throws IOException {
        fs.mkdirs(slicesDir);
        for (String w : written) {
            int cut = w.indexOf('\n');
            org.apache.hadoop.fs.Path from = new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(w.substring(0, cut)),
                    w.substring(cut + 1));
            org.apache.hadoop.fs.Path to = new org.apache.hadoop.fs.Path(slicesDir, w.substring(cut + 1));
            fs.mkdirs(to.getParent());
            if (!fs.rename(from, to)) {
                throw new IOException("cannot move " + from + " to " + to);
            }
        }
        fs.create(new org.apache.hadoop.fs.Path(slicesDir, "_SUCCESS"), false).close();
    }

    /** The rejected table: one Parquet file (also when empty, so readers find the schema) and {@code _SUCCESS}. */
    private static void writeRejected(FileSystem fs, Configuration conf, org.apache.hadoop.fs.Path dir, List<Row> rows)
            throws IOException {
        fs.mkdirs(dir);
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir,
                "part-00000-" + UUID.randomUUID() + "-c000.snappy.parquet");
        try (ParquetRowWriter w = new ParquetRowWriter(file, REJECTED_SCHEMA, 0, conf, List.of())) {
            for (Row r : rows) {
                w.write(r);
            }
        }
        fs.create(new org.apache.hadoop.fs.Path(dir, "_SUCCESS"), false).close();
    }

    /** Moves the finished temporary directory to the output; an existing output is replaced only now. */
    private static void publish(FileSystem fs, org.apache.hadoop.fs.Path tmp, org.apache.hadoop.fs.Path out, boolean overwrite) {
        try {
            org.apache.hadoop.fs.Path old = null;
            if (fs.exists(out)) {
                if (!overwrite) {
                    throw new PrepException("output " + out + " appeared while the job ran; the result is left in " + tmp);
                }
                old = new org.apache.hadoop.fs.Path(out.getParent(), "." + out.getName() + ".prep-old-" + UUID.randomUUID());
                if (!fs.rename(out, old)) {
                    throw new PrepException("cannot move the existing output " + out + " aside to " + old);
                }
            }
            if (!fs.rename(tmp, out)) {
                throw new PrepException("cannot rename " + tmp + " to " + out);
            }
            if (old != null) {
                fs.delete(old, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("publishing " + tmp + " as " + out, e);
        }
    }

    private static FileSystem fileSystem(org.apache.hadoop.fs.Path p, Configuration conf) {
        try {
            return p.getFileSystem(conf);
        } catch (IOException e) {
            throw new PrepException("cannot open the file system of " + p + ": " + e.getMessage(), e);
        }
    }

    /**
     * Names the temporary directories that killed runs into the same OUTPUT left behind (a failed run deletes its
     * own; a killed JVM cannot). They are never read as data, but they hold disk space; another prep may still be
     * writing one, so they are reported, not deleted.
     */
    private static void warnAboutLeftovers(FileSystem fs, org.apache.hadoop.fs.Path out) {
        String prefix = "." + out.getName() + ".prep-tmp-";
        try {
            for (var st : fs.listStatus(out.getParent(), p -> p.getName().startsWith(prefix))) {
                LOG.warn("{} is left over from an interrupted prep into {} (never read as data); delete it when no "
                        + "other prep is writing there", st.getPath(), out);
            }
        } catch (IOException e) {
            LOG.debug("could not list {} for leftovers: {}", out.getParent(), e.toString());
        }
    }

    private static boolean exists(FileSystem fs, org.apache.hadoop.fs.Path p) {
        try {
            return fs.exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeText(FileSystem fs, org.apache.hadoop.fs.Path p, String text) {
        try (FSDataOutputStream o = fs.create(p, false)) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + p, e);
        }
    }

    /** Waits until no stage is active and no executor runs a task (killed tasks of an aborted job linger). */
    private static void awaitIdle(SparkContext sc, long timeoutMs) {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            boolean busy = sc.statusTracker().getActiveStageIds().length > 0
                    || java.util.Arrays.stream(sc.statusTracker().getExecutorInfos()).anyMatch(e -> e.numRunningTasks() > 0);
            if (!busy) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Deletes {@code p} and keeps deleting it while it reappears: a killed task's writer can still create a file
     * under it a moment after Spark reports no running task (seen in CI: a leftover temporary directory). Returns
     * once {@code p} has stayed absent for half a second, or after {@code timeoutMs}.
     */
    private static void deleteUntilGone(FileSystem fs, org.apache.hadoop.fs.Path p, long timeoutMs) {
        long end = System.currentTimeMillis() + timeoutMs;
        do {
            deleteQuietly(fs, p);
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                if (!fs.exists(p)) return;
            } catch (IOException e) {
                LOG.warn("could not check the temporary output {}: {}", p, e.toString());
                return;
            }
        } while (System.currentTimeMillis() < end);
        LOG.warn("the temporary output {} kept reappearing for {} s; delete it when no prep is writing there", p, timeoutMs / 1000);
    }

    private static void deleteQuietly(FileSystem fs, org.apache.hadoop.fs.Path p) {
        try {
            fs.delete(p, true);
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not delete the temporary output {}: {}", p, e.toString());
        }
    }

    /** The rows of one partition: case after case, rejections reported through the accumulator. */
    static final class PartitionRows implements Iterator<Row> {
        private final Iterator<CaseTask> cases;
        private final CasePipeline pipeline;
        private final PrepTallyAccumulator tally;
        private final LongAccumulator casesDone;
        private final LongAccumulator slicesDone;
        private CaseTask currentTask;
        private CasePipeline.CaseSlices current;

        PartitionRows(Iterator<CaseTask> cases, SliceRecipe recipe, PrepTallyAccumulator tally,
                      LongAccumulator casesDone, LongAccumulator slicesDone) {
            this.cases = cases;
            this.pipeline = new CasePipeline(recipe);
            this.tally = tally;
            this.casesDone = casesDone;
            this.slicesDone = slicesDone;
        }

        @Override
        public boolean hasNext() {
            while (current == null || !current.hasNext()) {
                if (current != null) {
                    PrepTally t = new PrepTally();
                    t.addWritten(currentTask.caseId(), current.stats());
                    tally.add(t);
                    casesDone.add(1);
                    current = null; // let the volume go before reading the next
                }
                if (!cases.hasNext()) {
                    return false;
                }
                currentTask = cases.next();
                Consumer<CaseTask> hook = beforeCaseForTests;
                if (hook != null) {
                    hook.accept(currentTask);
                }
                try {
                    current = pipeline.open(currentTask);
                } catch (CaseRejection e) {
                    PrepTally t = new PrepTally();
                    t.addRejected(new RejectedCase(currentTask.dataset(), currentTask.caseId(), e.file(), e.getMessage(), e.stage()));
                    tally.add(t);
                    casesDone.add(1);
                }
            }
            return true;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException();
            }
            slicesDone.add(1);
            return current.next();
        }
    }

    /** Prints progress lines from a driver thread while the write runs. */
    static final class ProgressReporter implements AutoCloseable {
        private final Thread thread;
        private final Consumer<String> sink;
        private final String dataset;
        private final int total;
        private final LongAccumulator cases;
        private final LongAccumulator slices;
        private volatile boolean done;

        ProgressReporter(Consumer<String> sink, String dataset, int total, LongAccumulator cases, LongAccumulator slices,
                         long intervalMs) {
            this.sink = sink;
            this.dataset = dataset;
            this.total = total;
            this.cases = cases;
            this.slices = slices;
            this.thread = new Thread(() -> {
                long last = -1;
                while (!done) {
                    try {
                        Thread.sleep(intervalMs);
                    } catch (InterruptedException e) {
                        return;
                    }
                    long c = cases.value();
                    if (!done && c != last) {
                        line();
                        last = c;
                    }
                }
            }, "prep-progress");
            thread.setDaemon(true);
            thread.start();
        }

        private void line() {
            sink.accept("prep " + dataset + ": cases " + cases.value() + "/" + total + " done, " + slices.value()
                    + " slices written");
        }

        void finish() {
            done = true;
            thread.interrupt();
            line();
        }

        @Override
        public void close() {
            done = true;
            thread.interrupt();
        }
    }
}
