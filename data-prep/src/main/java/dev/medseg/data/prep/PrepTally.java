package dev.medseg.data.prep;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything the tasks report back to the driver: per written case its {@link CaseStats}, and the rejected
 * cases. Kept per case (not pre-summed) so the driver sums in case order and the manifest is identical across
 * runs whatever order tasks finish in.
 */
public final class PrepTally implements Serializable {

    private static final long serialVersionUID = 1L;

    private final TreeMap<String, CaseStats> written = new TreeMap<>();
    private final List<RejectedCase> rejected = new ArrayList<>();

    void addWritten(String caseId, CaseStats stats) {
        written.put(caseId, stats);
    }

    void addRejected(RejectedCase r) {
        rejected.add(r);
    }

    void merge(PrepTally other) {
        written.putAll(other.written);
        rejected.addAll(other.rejected);
    }

    boolean isEmpty() {
        return written.isEmpty() && rejected.isEmpty();
    }

    PrepTally copy() {
        PrepTally t = new PrepTally();
        t.merge(this);
        return t;
    }

    /** Written cases by case id, sorted. */
    public Map<String, CaseStats> written() {
        return java.util.Collections.unmodifiableMap(written);
    }

    /** Rejected cases sorted by case id, file and stage. */
    public List<RejectedCase> rejected() {
        List<RejectedCase> sorted = new ArrayList<>(rejected);
        sorted.sort(Comparator.comparing((RejectedCase r) -> r.caseId() == null ? "" : r.caseId())
                .thenComparing(RejectedCase::file).thenComparing(RejectedCase::stage).thenComparing(RejectedCase::reason));
        return sorted;
    }
}
