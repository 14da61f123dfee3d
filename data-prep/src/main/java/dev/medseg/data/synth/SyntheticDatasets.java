package dev.medseg.data.synth;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The synthetic dataset generators by layout name, with their default options. */
public final class SyntheticDatasets {
    private SyntheticDatasets() {}

    /** The layouts that can be generated. */
    public static List<String> names() {
        return List.of(SynapseSynth.LAYOUT, AcdcSynth.LAYOUT, Isic2017Synth.LAYOUT, BusiSynth.LAYOUT);
    }

    /** Default options of {@code layout} (case-insensitive). */
    public static SynthOptions defaults(String layout) {
        return switch (key(layout)) {
            case SynapseSynth.LAYOUT -> SynapseSynth.DEFAULTS;
            case AcdcSynth.LAYOUT -> AcdcSynth.DEFAULTS;
            case Isic2017Synth.LAYOUT -> Isic2017Synth.DEFAULTS;
            default -> BusiSynth.DEFAULTS;
        };
    }

    /**
     * Writes a synthetic dataset of {@code layout} under {@code root}, which must be empty or absent.
     *
     * @throws IllegalArgumentException for an unknown layout, bad options or a non-empty root
     */
    public static SynthResult write(String layout, Path root, SynthOptions options) {
        return switch (key(layout)) {
            case SynapseSynth.LAYOUT -> SynapseSynth.write(root, options);
            case AcdcSynth.LAYOUT -> AcdcSynth.write(root, options);
            case Isic2017Synth.LAYOUT -> Isic2017Synth.write(root, options);
            default -> BusiSynth.write(root, options);
        };
    }

    private static String key(String layout) {
        String k = layout == null ? "" : layout.trim().toLowerCase(Locale.ROOT);
        if (k.equals("btcv")) k = SynapseSynth.LAYOUT;
        if (!names().contains(k)) {
            throw new IllegalArgumentException("no synthetic generator for layout '" + layout + "'; choose one of " + String.join(", ", names()));
        }
        return k;
    }
}
