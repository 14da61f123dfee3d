package dev.medseg.data.layout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a layout found under a root: the cases (sorted by case id) and the rejected files (sorted by path),
 * plus the label map that turns the dataset's label ids into training class ids.
 *
 * @param dataset  dataset name used in every case
 * @param root     the dataset root that was listed
 * @param labelMap label ids of this dataset's label files to class ids
 * @param cases    cases sorted by case id, ids unique
 * @param rejected files that did not become cases, sorted by file then problem
 */
public record Listing(String dataset, Path root, LabelMap labelMap, List<CaseRef> cases, List<Rejected> rejected) {

    private static final int MAX_REPORTED = 20;

    /** Sorts both lists and checks that case ids are unique. */
    public Listing {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(labelMap, "labelMap");
        List<CaseRef> sortedCases = new ArrayList<>(cases);
        sortedCases.sort(Comparator.comparing(CaseRef::caseId));
        Set<String> seen = new HashSet<>();
        for (CaseRef c : sortedCases) {
            if (!seen.add(c.caseId())) {
                throw new IllegalArgumentException("duplicate case id " + c.caseId() + " in listing of " + root);
            }
        }
        List<Rejected> sortedRejected = new ArrayList<>(rejected);
        sortedRejected.sort(Comparator.comparing((Rejected r) -> r.file().toString()).thenComparing(Rejected::problem));
        cases = List.copyOf(sortedCases);
        rejected = List.copyOf(sortedRejected);
    }

    /** Whether no file was rejected. */
    public boolean isClean() {
        return rejected.isEmpty();
    }

    /** The cases of one split, in case-id order. */
    public List<CaseRef> cases(Split split) {
        return cases.stream().filter(c -> c.split() == split).toList();
    }

    /** Number of cases per split (every split present, zero when empty). */
    public Map<Split, Integer> countsBySplit() {
        Map<Split, Integer> counts = new EnumMap<>(Split.class);
        for (Split s : Split.values()) {
            counts.put(s, 0);
        }
        cases.forEach(c -> counts.merge(c.split(), 1, Integer::sum));
        return counts;
    }

    /** The cases, or an exception listing the rejected files (at most 20 shown) when there are any. */
    public List<CaseRef> requireClean() {
        if (!rejected.isEmpty()) {
            StringBuilder sb = new StringBuilder(dataset).append(" under ").append(root).append(": ")
                    .append(rejected.size()).append(" file(s) rejected (use DatasetLayout.list to inspect or accept them):");
            rejected.stream().limit(MAX_REPORTED).forEach(r -> sb.append("\n  ").append(r));
            if (rejected.size() > MAX_REPORTED) {
                sb.append("\n  ... and ").append(rejected.size() - MAX_REPORTED).append(" more");
            }
            throw new DatasetLayoutException(sb.toString());
        }
        return cases;
    }
}
