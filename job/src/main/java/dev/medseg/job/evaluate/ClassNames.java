package dev.medseg.job.evaluate;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Names of the scored classes (ids 1..) per dataset, as the papers label them, so that {@code case_metrics} and
 * the summary tables say "spleen" rather than "class 1". A dataset not listed here, or a model whose class count
 * does not match the list, gets no names (the {@code class_name} column stays null).
 */
public final class ClassNames {
    private static final Map<String, List<String>> BY_DATASET = Map.of(
            "synapse", List.of("spleen", "right kidney", "left kidney", "gallbladder", "liver", "stomach", "aorta",
                    "pancreas"),
            "acdc", List.of("RV", "Myo", "LV"));
    /** The name of the one class of a binary (lesion) dataset. */
    public static final String BINARY = "lesion";

    private ClassNames() {
    }

    /**
     * The names of classes 1..{@code scoredClasses} of {@code dataset}: the dataset's list when it has exactly that
     * many, {@code [lesion]} for any single-class model, otherwise an empty list.
     */
    public static List<String> of(String dataset, int scoredClasses) {
        if (scoredClasses == 1) {
            return List.of(BINARY);
        }
        List<String> names = BY_DATASET.get(dataset == null ? "" : dataset.trim().toLowerCase(Locale.ROOT));
        return names != null && names.size() == scoredClasses ? names : List.of();
    }
}
