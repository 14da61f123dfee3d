package dev.medseg.data.synth;

import dev.medseg.data.layout.DatasetLayout;

import java.nio.file.Path;
import java.util.List;

/**
 * What a generator wrote.
 *
 * @param layout   the layout name ({@code synapse}, {@code acdc}, {@code isic2017}, {@code busi})
 * @param root     the dataset root to give to the layout
 * @param files    every file written, in writing order
 * @param listedBy a layout whose splits fit the generated cases: the registry default, except for a Synapse tree
 *                 with fewer than TransUNet's 30 listed cases, where the lists are cut to the generated ones
 */
public record SynthResult(String layout, Path root, List<Path> files, DatasetLayout listedBy) {
    public SynthResult {
        files = List.copyOf(files);
    }
}
