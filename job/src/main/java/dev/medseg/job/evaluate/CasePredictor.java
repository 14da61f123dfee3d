package dev.medseg.job.evaluate;

import dev.medseg.job.tables.PredictionRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * A task of {@code predict}: streams its partition's cases, predicts each at native resolution, writes its mask
 * file into the output folder ({@code <case>.nii.gz} for a 3-D case, {@code <case>.png} for a 2-D image) and
 * returns its {@code predictions} rows. Labels are not needed. A case with incomplete slices is reported, not
 * written.
 */
public final class CasePredictor implements FlatMapFunction<Iterator<Row>, PredictOutcome> {
    private static final long serialVersionUID = 1L;

    private final InferenceModel model;
    private final String runId;
    private final String dataset;
    private final int numClasses;
    private final String outputDir;

    /** A predictor writing masks of {@code model} ({@code numClasses} outputs) into {@code outputDir}. */
    public CasePredictor(InferenceModel model, String runId, String dataset, int numClasses, String outputDir) {
        this.model = model;
        this.runId = runId;
        this.dataset = dataset;
        this.numClasses = numClasses;
        this.outputDir = outputDir;
    }

    /** The mask file name of a case. */
    public static String fileName(String caseId, boolean volume) {
        return OutputFiles.safeName(caseId) + (volume ? ".nii.gz" : ".png");
    }

    @Override
    public Iterator<PredictOutcome> call(Iterator<Row> rows) {
        if (!rows.hasNext()) {
            return Collections.emptyIterator();
        }
        Iterator<List<Row>> cases = CaseSlices.byCase(rows);
        Configuration conf = new Configuration();
        List<PredictOutcome> out = new ArrayList<>();
        model.withGraph(g -> {
            while (cases.hasNext()) {
                List<Row> caseRows = cases.next();
                String caseId = caseRows.get(0).getString(SplitSlices.CASE_COL);
                CaseSlices c;
                try {
                    c = CaseSlices.assemble(caseRows, false, Math.max(1, numClasses - 1));
                } catch (CaseProblem e) {
                    out.add(new PredictOutcome(caseId, List.of(), null, e.getMessage()));
                    continue;
                }
                byte[] prediction = SlicePredictor.predictNative(g, numClasses, c);
                String name = fileName(caseId, c.volume());
                int w = c.width();
                int h = c.height();
                if (c.volume()) {
                    OutputFiles.write(outputDir, name, conf,
                            path -> MaskFiles.writeNifti(path, prediction, w, h, c.depth(), c.spacing()));
                } else {
                    OutputFiles.write(outputDir, name, conf,
                            path -> MaskFiles.writePng(path, prediction, w, h, numClasses == 1));
                }
                List<Row> records = new ArrayList<>(c.depth());
                int plane = w * h;
                for (int z = 0; z < c.depth(); z++) {
                    records.add(PredictionRecord.of(runId, dataset, caseId, z, h, w,
                            Arrays.copyOfRange(prediction, z * plane, (z + 1) * plane), null).toRow());
                }
                out.add(new PredictOutcome(caseId, records, new org.apache.hadoop.fs.Path(outputDir, name).toString(), null));
            }
            return null;
        });
        return out.iterator();
    }
}
