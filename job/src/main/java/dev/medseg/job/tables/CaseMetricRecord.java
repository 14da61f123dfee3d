package dev.medseg.job.tables;

import dev.medseg.model.metrics.ClassScore;
import dev.medseg.model.metrics.ConfusionCounts;
import dev.medseg.model.metrics.EmptyMaskRule;
import dev.medseg.model.metrics.Presence;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Locale;
import java.util.Objects;

/**
 * One row of the {@code case_metrics} table: one class of one case (a 3-D volume or a 2-D image) of one run.
 * A case that could not be scored has one row per class with every metric and count null and {@code problem}
 * saying why. NaN in a metric means "undefined" under the rule (nnU-Net's Dice with both masks empty, a
 * precision with an empty prediction); null means "not scored".
 *
 * @param runId      {@code run_id} string, not null: the run (see {@code runs})
 * @param dataset    {@code dataset} string, not null: dataset name
 * @param split      {@code split} string, not null: split scored, e.g. {@code test}, {@code val}
 * @param caseId     {@code case_id} string, not null: case id (file name without extension for {@code score})
 * @param classId    {@code class_id} int, not null: class id in the label map (1..; 0 is background, never scored)
 * @param className  {@code class_name} string, nullable: class name, e.g. {@code spleen}; null if none was given
 * @param dice       {@code dice} double, nullable: Dice = 2|P∩R|/(|P|+|R|), or the empty-mask rule's value
 * @param iou        {@code iou} double, nullable: IoU (Jaccard) = |P∩R|/|P∪R|, or the empty-mask rule's value
 * @param hd95Voxel  {@code hd95_voxel} double, nullable: medpy hd95 in voxel units (spacing ignored, as
 *                   TransUNet reports), or the rule's value
 * @param hd95Mm     {@code hd95_mm} double, nullable: the same with the voxel spacing (mm for NIfTI; equal to
 *                   hd95_voxel for PNG or {@code --spacing voxel}), or the rule's value
 * @param precision  {@code precision} double, nullable: tp/(tp+fp); NaN when the prediction is empty
 * @param recall     {@code recall} double, nullable: sensitivity tp/(tp+fn); NaN when the reference is empty
 * @param accuracy   {@code accuracy} double, nullable: (tp+tn)/all voxels
 * @param tp         {@code tp} long, nullable: voxels of the class in both prediction and reference
 * @param fp         {@code fp} long, nullable: voxels predicted as the class but not in the reference
 * @param fn         {@code fn} long, nullable: reference voxels of the class not predicted
 * @param tn         {@code tn} long, nullable: voxels in neither
 * @param predVoxels {@code pred_voxels} long, nullable: voxels predicted as the class (tp+fp)
 * @param refVoxels  {@code ref_voxels} long, nullable: voxels of the class in the reference (tp+fn)
 * @param emptyRule  {@code empty_rule} string, not null: {@code <rule>:<branch>}: rule {@code transunet} or
 *                   {@code nnunet} (see EmptyMaskRule), branch {@code computed} (both masks present),
 *                   {@code ref_empty}, {@code pred_empty}, {@code both_empty} (values set by the rule) or
 *                   {@code not_scored}
 * @param problem    {@code problem} string, nullable: null when scored; else why the case could not be scored
 *                   (missing prediction, shape mismatch, label outside the classes, unreadable file)
 */
public record CaseMetricRecord(String runId, String dataset, String split, String caseId, int classId,
                               String className, Double dice, Double iou, Double hd95Voxel, Double hd95Mm,
                               Double precision, Double recall, Double accuracy, Long tp, Long fp, Long fn,
                               Long tn, Long predVoxels, Long refVoxels, String emptyRule, String problem)
        implements TableRecord {

    /** {@code empty_rule} branch for a case that was not scored. */
    public static final String NOT_SCORED = "not_scored";

    /** The table's schema, with each column's comment. */
    public static final StructType SCHEMA = new StructType(new StructField[]{
            Columns.field("run_id", DataTypes.StringType, false, "run id (see runs)"),
            Columns.field("dataset", DataTypes.StringType, false, "dataset name"),
            Columns.field("split", DataTypes.StringType, false, "split scored: test, val, ..."),
            Columns.field("case_id", DataTypes.StringType, false, "case id (volume or 2-D image)"),
            Columns.field("class_id", DataTypes.IntegerType, false, "class id (1..; background 0 is not scored)"),
            Columns.field("class_name", DataTypes.StringType, true, "class name, null if none was given"),
            Columns.field("dice", DataTypes.DoubleType, true, "Dice, or the empty-mask rule's value; null if not scored"),
            Columns.field("iou", DataTypes.DoubleType, true, "IoU/Jaccard, or the empty-mask rule's value"),
            Columns.field("hd95_voxel", DataTypes.DoubleType, true, "medpy HD95 in voxels (no spacing), or the rule's value"),
            Columns.field("hd95_mm", DataTypes.DoubleType, true, "HD95 with voxel spacing (mm), or the rule's value"),
            Columns.field("precision", DataTypes.DoubleType, true, "tp/(tp+fp); NaN for an empty prediction"),
            Columns.field("recall", DataTypes.DoubleType, true, "tp/(tp+fn), sensitivity; NaN for an empty reference"),
            Columns.field("accuracy", DataTypes.DoubleType, true, "(tp+tn)/all voxels"),
            Columns.field("tp", DataTypes.LongType, true, "true positive voxels"),
            Columns.field("fp", DataTypes.LongType, true, "false positive voxels"),
            Columns.field("fn", DataTypes.LongType, true, "false negative voxels"),
            Columns.field("tn", DataTypes.LongType, true, "true negative voxels"),
            Columns.field("pred_voxels", DataTypes.LongType, true, "voxels predicted as the class (tp+fp)"),
            Columns.field("ref_voxels", DataTypes.LongType, true, "reference voxels of the class (tp+fn)"),
            Columns.field("empty_rule", DataTypes.StringType, false,
                    "<rule>:<branch>, rule transunet|nnunet, branch computed|ref_empty|pred_empty|both_empty|not_scored"),
            Columns.field("problem", DataTypes.StringType, true, "null when scored, else why the case was not scored"),
    });

    /** Checks the non-null columns. */
    public CaseMetricRecord {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(caseId, "caseId");
        Objects.requireNonNull(emptyRule, "emptyRule");
    }

    /** The row of a scored class. */
    public static CaseMetricRecord scored(String runId, String dataset, String split, String caseId,
                                          String className, ClassScore s) {
        ConfusionCounts c = s.counts();
        return new CaseMetricRecord(runId, dataset, split, caseId, s.classId(), className, s.dice(), s.iou(),
                s.hd95Voxels(), s.hd95Mm(), s.precision(), s.recall(), s.accuracy(), c.tp(), c.fp(), c.fn(), c.tn(),
                c.predictedCount(), c.referenceCount(), ruleText(s.rule(), s.presence()), null);
    }

    /** The row of a class of a case that could not be scored. */
    public static CaseMetricRecord problem(String runId, String dataset, String split, String caseId, int classId,
                                           String className, EmptyMaskRule rule, String problem) {
        Objects.requireNonNull(problem, "problem");
        return new CaseMetricRecord(runId, dataset, split, caseId, classId, className, null, null, null, null,
                null, null, null, null, null, null, null, null, null,
                rule.name().toLowerCase(Locale.ROOT) + ":" + NOT_SCORED, problem);
    }

    /** The {@code empty_rule} text for a rule and the branch it took, e.g. {@code transunet:ref_empty}. */
    public static String ruleText(EmptyMaskRule rule, Presence presence) {
        String branch = presence == Presence.BOTH_PRESENT ? "computed" : presence.name().toLowerCase(Locale.ROOT);
        return rule.name().toLowerCase(Locale.ROOT) + ":" + branch;
    }

    @Override
    public ResultTable table() {
        return ResultTable.CASE_METRICS;
    }

    @Override
    public Row toRow() {
        return RowFactory.create(runId, dataset, split, caseId, classId, className, dice, iou, hd95Voxel, hd95Mm,
                precision, recall, accuracy, tp, fp, fn, tn, predVoxels, refVoxels, emptyRule, problem);
    }

    /** Reads a row of the {@code case_metrics} table (any column order). */
    public static CaseMetricRecord fromRow(Row row) {
        String t = "case_metrics";
        return new CaseMetricRecord((String) Columns.required(row, "run_id", t),
                (String) Columns.required(row, "dataset", t), (String) Columns.required(row, "split", t),
                (String) Columns.required(row, "case_id", t), (Integer) Columns.required(row, "class_id", t),
                Columns.string(row, "class_name"), Columns.nullableDouble(row, "dice"),
                Columns.nullableDouble(row, "iou"), Columns.nullableDouble(row, "hd95_voxel"),
                Columns.nullableDouble(row, "hd95_mm"), Columns.nullableDouble(row, "precision"),
                Columns.nullableDouble(row, "recall"), Columns.nullableDouble(row, "accuracy"),
                Columns.nullableLong(row, "tp"), Columns.nullableLong(row, "fp"), Columns.nullableLong(row, "fn"),
                Columns.nullableLong(row, "tn"), Columns.nullableLong(row, "pred_voxels"),
                Columns.nullableLong(row, "ref_voxels"), (String) Columns.required(row, "empty_rule", t),
                Columns.string(row, "problem"));
    }
}
