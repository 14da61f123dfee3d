package dev.medseg.data.prep;

import dev.medseg.data.layout.CaseRef;

import java.io.Serializable;
import java.util.List;

/**
 * One case as shipped to a Spark task: plain strings (java.nio.file.Path is not Serializable).
 *
 * @param dataset dataset name written into rows
 * @param caseId  case id
 * @param image   image file path
 * @param labels  label files (several are OR-merged: BUSI), empty when unlabelled
 * @param split   partition value: train, val, test, holdout, unlabelled
 * @param channel 4-D frame to read for MSD multi-channel volumes
 */
public record CaseTask(String dataset, String caseId, String image, List<String> labels, String split, int channel)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Copies the label list. */
    public CaseTask {
        labels = List.copyOf(labels);
    }

    /** The task for a listed case. */
    public static CaseTask of(CaseRef ref) {
        int channel = ref.attribute("channel").map(Integer::parseInt).orElse(0);
        return new CaseTask(ref.dataset(), ref.caseId(), ref.image().toString(),
                ref.labels().stream().map(Object::toString).toList(), ref.split().partitionValue(), channel);
    }

    /** Whether evaluation scores this case, so its rows keep native-resolution labels. */
    public boolean keepsNativeLabels() {
        return !labels.isEmpty() && ("val".equals(split) || "test".equals(split));
    }
}
