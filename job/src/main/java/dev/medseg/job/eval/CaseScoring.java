package dev.medseg.job.eval;

import dev.medseg.job.tables.CaseMetricRecord;
import dev.medseg.model.metrics.CaseMetrics;
import dev.medseg.model.metrics.CaseScorer;
import dev.medseg.model.metrics.Spacing;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/**
 * Scores one {@link CasePair} into {@code case_metrics} rows, one per class. Whatever goes wrong with the
 * case's files (missing, ambiguous, unreadable, different shapes, labels outside the classes) becomes the
 * {@code problem} of that case's rows: a bad case never stops the others.
 */
public final class CaseScoring implements FlatMapFunction<CasePair, Row> {
    private static final long serialVersionUID = 1L;
    private static final int MAX_LISTED_LABELS = 5;

    private final ScoreOptions options;

    /** A scorer for {@code options}. */
    public CaseScoring(ScoreOptions options) {
        this.options = options;
    }

    @Override
    public Iterator<Row> call(CasePair pair) {
        return score(pair).stream().map(CaseMetricRecord::toRow).iterator();
    }

    /** The rows of one case, in class order. */
    public List<CaseMetricRecord> score(CasePair pair) {
        String problem = fileProblem(pair);
        if (problem != null) {
            return problemRows(pair.caseId(), problem);
        }
        LabelMap reference;
        LabelMap prediction;
        try {
            reference = LabelMap.read(Path.of(pair.references().get(0)));
            prediction = LabelMap.read(Path.of(pair.predictions().get(0)));
        } catch (RuntimeException e) {
            // ImageFormatException and IllegalArgumentException messages start with the file
            return problemRows(pair.caseId(), "unreadable: " + e.getMessage());
        }
        problem = contentProblem(reference, prediction);
        if (problem != null) {
            return problemRows(pair.caseId(), problem);
        }
        try {
            return scoredRows(pair.caseId(), reference, prediction);
        } catch (RuntimeException e) {
            return problemRows(pair.caseId(), "cannot score: " + e);
        }
    }

    private static String fileProblem(CasePair pair) {
        if (pair.references().isEmpty()) {
            return "no reference for prediction " + String.join(", ", pair.predictions());
        }
        if (pair.references().size() > 1) {
            return "several reference files for one case: " + String.join(", ", pair.references());
        }
        if (pair.predictions().isEmpty()) {
            return "missing prediction for reference " + pair.references().get(0);
        }
        if (pair.predictions().size() > 1) {
            return "several prediction files for one case: " + String.join(", ", pair.predictions());
        }
        return null;
    }

    private String contentProblem(LabelMap reference, LabelMap prediction) {
        if (!reference.grid().equals(prediction.grid())) {
            return "shape mismatch: reference " + reference.shapeText() + ", prediction " + prediction.shapeText();
        }
        String r = outsideClasses(reference, "reference");
        String p = outsideClasses(prediction, "prediction");
        if (r != null || p != null) {
            return r == null ? p : p == null ? r : r + "; " + p;
        }
        if (options.headerSpacing() && !reference.hasSpacing()) {
            return "reference " + reference.source() + " has no valid voxel spacing (pixdim); use --spacing voxel";
        }
        return null;
    }

    private String outsideClasses(LabelMap map, String side) {
        int last = options.lastClass();
        boolean[] allowed = new boolean[last + 1];
        allowed[0] = true;
        for (int c : options.classes()) {
            allowed[c] = true;
        }
        TreeSet<Integer> found = new TreeSet<>();
        for (int id : map.ids()) {
            if ((id < 0 || id > last || !allowed[id]) && found.size() < MAX_LISTED_LABELS) {
                found.add(id);
            }
        }
        return found.isEmpty() ? null : side + " has label(s) " + found + " outside the classes " + options.classes();
    }

    private List<CaseMetricRecord> scoredRows(String caseId, LabelMap reference, LabelMap prediction) {
        Spacing spacing = options.headerSpacing() ? reference.spacing() : Spacing.UNIT;
        CaseMetrics metrics = CaseScorer.score(caseId,
                dev.medseg.model.metrics.LabelVolume.ofInts(prediction.grid(), prediction.ids()),
                dev.medseg.model.metrics.LabelVolume.ofInts(reference.grid(), reference.ids()),
                options.lastClass(), spacing, options.rule());
        List<CaseMetricRecord> rows = new ArrayList<>(options.classes().size());
        for (int i = 0; i < options.classes().size(); i++) {
            rows.add(CaseMetricRecord.scored(options.runId(), options.dataset(), options.split(), caseId,
                    options.className(i), metrics.classScore(options.classes().get(i))));
        }
        return rows;
    }

    private List<CaseMetricRecord> problemRows(String caseId, String problem) {
        List<CaseMetricRecord> rows = new ArrayList<>(options.classes().size());
        for (int i = 0; i < options.classes().size(); i++) {
            rows.add(CaseMetricRecord.problem(options.runId(), options.dataset(), options.split(), caseId,
                    options.classes().get(i), options.className(i), options.rule(), problem));
        }
        return rows;
    }
}
