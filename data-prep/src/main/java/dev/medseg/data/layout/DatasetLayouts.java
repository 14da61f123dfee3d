package dev.medseg.data.layout;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/** The layouts by name, each with its published default split. */
public final class DatasetLayouts {

    private static final Map<String, Supplier<DatasetLayout>> BY_NAME = new LinkedHashMap<>();
    private static final Map<String, String> ALIASES = Map.of("btcv", SynapseLayout.NAME, "msd", DecathlonLayout.NAME);

    static {
        BY_NAME.put(SynapseLayout.NAME, SynapseLayout::transUNet);
        BY_NAME.put(AcdcLayout.NAME, AcdcLayout::llmTransUNet);
        BY_NAME.put(DecathlonLayout.NAME, DecathlonLayout::new);
        BY_NAME.put(Isic2017Layout.NAME, Isic2017Layout::new);
        BY_NAME.put(BusiLayout.NAME, BusiLayout::new);
        BY_NAME.put(CvcClinicDbLayout.NAME, CvcClinicDbLayout::new);
        BY_NAME.put(CvcColonDbLayout.NAME, CvcColonDbLayout::new);
        BY_NAME.put(ImagesMasksLayout.NAME, ImagesMasksLayout::new);
    }

    private DatasetLayouts() {
    }

    /** The canonical names, in registry order. */
    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    /**
     * The layout registered as {@code name} (case-insensitive, trimmed; aliases btcv → synapse, msd → decathlon)
     * with its default split.
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static DatasetLayout forName(String name) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        key = ALIASES.getOrDefault(key, key);
        Supplier<DatasetLayout> factory = BY_NAME.get(key);
        if (factory == null) {
            throw new IllegalArgumentException("unknown dataset layout '" + name + "'; known: "
                    + String.join(", ", BY_NAME.keySet()) + " (aliases: btcv = synapse, msd = decathlon)");
        }
        return factory.get();
    }
}
