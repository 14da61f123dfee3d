package dev.medseg.job.evaluate;

import dev.medseg.job.tables.CaseMetricRecord;
import dev.medseg.model.metrics.CaseMetrics;
import dev.medseg.model.metrics.CaseScorer;
import dev.medseg.model.metrics.ClassScore;
import dev.medseg.model.metrics.Grid;
import dev.medseg.model.metrics.LabelVolume;
import dev.medseg.model.metrics.Spacing;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * A task of {@code evaluate}: streams its partition's cases (rows sorted by case and slice), predicts each case at
 * native resolution and scores it per class on the whole volume (or image). A case that cannot be evaluated gets
 * one problem row per class instead; it never fails the task.
 */
public final class CaseEvaluator implements FlatMapFunction<Iterator<Row>, CaseOutcome> {
    private static final long serialVersionUID = 1L;

    private final InferenceModel model;
    private final EvalOptions options;

    /** An evaluator of {@code model}'s predictions, labelling rows with {@code options}. */
    public CaseEvaluator(InferenceModel model, EvalOptions options) {
        this.model = model;
        this.options = options;
    }

    @Override
    public Iterator<CaseOutcome> call(Iterator<Row> rows) {
        if (!rows.hasNext()) {
            return Collections.emptyIterator();
        }
        Iterator<List<Row>> cases = CaseSlices.byCase(rows);
        List<CaseOutcome> out = new ArrayList<>();
        model.withGraph(g -> {
            while (cases.hasNext()) {
                List<Row> caseRows = cases.next();
                String caseId = caseRows.get(0).getString(SplitSlices.CASE_COL);
                CaseSlices c;
                try {
                    c = CaseSlices.assemble(caseRows, true, options.lastClass());
                } catch (CaseProblem e) {
                    out.add(problem(caseId, e.getMessage()));
                    continue;
                }
                byte[] prediction = SlicePredictor.predictNative(g, options.numClasses(), c);
                out.add(score(c, prediction));
            }
            return null;
        });
        return out.iterator();
    }

    /** Scores a case's native prediction against its native reference. */
    CaseOutcome score(CaseSlices c, byte[] prediction) {
        Grid grid = new Grid(c.width(), c.height(), c.depth());
        // rows carry (row, column, slice) spacing; the grid's x runs along columns and y along rows
        Spacing spacing = new Spacing(c.spacing()[1], c.spacing()[0], c.spacing()[2]);
        CaseMetrics metrics;
        try {
            metrics = CaseScorer.score(c.caseId(), LabelVolume.ofBytes(grid, prediction),
                    LabelVolume.ofBytes(grid, c.reference()), options.lastClass(), spacing, options.rule());
        } catch (IllegalArgumentException e) {
            return problem(c.caseId(), "cannot score: " + e.getMessage());
        }
        List<Row> rows = new ArrayList<>(options.lastClass());
        double sum = 0;
        int counted = 0;
        for (int id = 1; id <= options.lastClass(); id++) {
            ClassScore s = metrics.classScore(id);
            rows.add(CaseMetricRecord.scored(options.runId(), options.dataset(), options.split(), c.caseId(),
                    options.className(id), s).toRow());
            if (!Double.isNaN(s.dice())) {
                sum += s.dice();
                counted++;
            }
        }
        return new CaseOutcome(c.caseId(), rows, counted == 0 ? Double.NaN : sum / counted,
                overlaySlice(c.reference(), prediction, c.depth(), c.height() * c.width()), null);
    }

    /** The problem rows of a case, one per class. */
    CaseOutcome problem(String caseId, String problem) {
        List<Row> rows = new ArrayList<>(options.lastClass());
        for (int id = 1; id <= options.lastClass(); id++) {
            rows.add(CaseMetricRecord.problem(options.runId(), options.dataset(), options.split(), caseId, id,
                    options.className(id), options.rule(), problem).toRow());
        }
        return new CaseOutcome(caseId, rows, Double.NaN, -1, problem);
    }

    /**
     * The slice worth drawing: the most reference foreground, then the most predicted foreground, then the one
     * nearest the middle of the volume.
     */
    static int overlaySlice(byte[] reference, byte[] prediction, int depth, int plane) {
        int best = -1;
        long bestRef = -1;
        long bestPred = -1;
        double bestDistance = Double.POSITIVE_INFINITY;
        double middle = (depth - 1) / 2.0;
        for (int z = 0; z < depth; z++) {
            long ref = 0;
            long pred = 0;
            for (int i = z * plane; i < (z + 1) * plane; i++) {
                if (reference[i] != 0) {
                    ref++;
                }
                if (prediction[i] != 0) {
                    pred++;
                }
            }
            double distance = Math.abs(z - middle);
            if (ref > bestRef || (ref == bestRef && (pred > bestPred || (pred == bestPred && distance < bestDistance)))) {
                best = z;
                bestRef = ref;
                bestPred = pred;
                bestDistance = distance;
            }
        }
        return best;
    }
}
