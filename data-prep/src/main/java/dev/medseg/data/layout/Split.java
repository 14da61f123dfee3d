package dev.medseg.data.layout;

import java.util.Locale;

/**
 * Which part of an experiment a case belongs to.
 *
 * <p>{@link #UNLABELLED} is used for, and only for, cases without a label file (BTCV {@code Testing/},
 * MSD {@code imagesTs/}); {@link CaseRef} enforces that. {@link #HOLDOUT} holds labelled cases that a
 * protocol neither trains, validates nor tests on (ACDC patients 101–150, BTCV cases outside TransUNet's
 * lists): they are listed rather than dropped so nothing disappears silently.
 */
public enum Split {
    TRAIN,
    VAL,
    TEST,
    HOLDOUT,
    UNLABELLED;

    /** The lower-case name used as a Parquet partition value and in configs ({@code "train"}, {@code "val"}, ...). */
    public String partitionValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a {@link #partitionValue()} (case-insensitive); unknown text names the accepted values. */
    public static Split fromPartitionValue(String text) {
        for (Split s : values()) {
            if (s.partitionValue().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown split '" + text + "'; expected one of train, val, test, holdout, unlabelled");
    }
}
