package dev.medseg.model.metrics;

import java.util.List;

/** The per-class scores of one case (volume or image), in increasing class order. */
public record CaseMetrics(String caseId, List<ClassScore> classes) {

    /** Copies the list and checks that class ids are unique and increasing. */
    public CaseMetrics {
        if (caseId == null || caseId.isEmpty()) {
            throw new IllegalArgumentException("caseId must be non-empty");
        }
        classes = List.copyOf(classes);
        for (int i = 1; i < classes.size(); i++) {
            if (classes.get(i).classId() <= classes.get(i - 1).classId()) {
                throw new IllegalArgumentException("class ids must increase, got " + classes.get(i - 1).classId()
                        + " then " + classes.get(i).classId() + " in case " + caseId);
            }
        }
    }

    /** The score of {@code classId}. */
    public ClassScore classScore(int classId) {
        for (ClassScore s : classes) {
            if (s.classId() == classId) {
                return s;
            }
        }
        throw new IllegalArgumentException("case " + caseId + " has no score for class " + classId);
    }
}
