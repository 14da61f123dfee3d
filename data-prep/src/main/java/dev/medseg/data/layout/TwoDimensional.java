package dev.medseg.data.layout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Finishing step shared by the seeded-split 2-D layouts: pair, split, and refuse an empty result. */
final class TwoDimensional {

    private TwoDimensional() {
    }

    /** Pairs the collected files and assigns TRAIN/VAL/TEST with {@code split}. */
    static Listing listing(DatasetLayout layout, String dataset, Path root, CasePairing pairing,
                           SeededSplit split, LabelMap labelMap) {
        List<CasePairing.Pair> pairs = pairing.pairs();
        Map<String, Split> assigned = split.assign(pairs.stream().map(CasePairing.Pair::caseId).toList());
        List<CaseRef> cases = new ArrayList<>();
        for (CasePairing.Pair p : pairs) {
            cases.add(new CaseRef(dataset, p.caseId(), p.image(), p.labels(), assigned.get(p.caseId()), p.attributes()));
        }
        if (cases.isEmpty() && pairing.rejected().isEmpty()) {
            throw LayoutFiles.notThisLayout(root, layout, "holds no image files");
        }
        return new Listing(dataset, root, labelMap, cases, pairing.rejected());
    }
}
