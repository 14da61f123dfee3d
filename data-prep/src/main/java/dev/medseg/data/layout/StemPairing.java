package dev.medseg.data.layout;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The shared body of the 2-D layouts that keep images and masks in two folders and pair them by file stem
 * ({@code Original/12.tif} with {@code Ground Truth/12.tif}, or {@code images/a.png} with {@code masks/0/a.png}).
 */
final class StemPairing {

    /** One candidate pair of folders, relative to the root (segments matched case-insensitively). */
    record Folders(String images, String masks) {
        @Override
        public String toString() {
            return images + "/ + " + masks + "/";
        }
    }

    private StemPairing() {
    }

    /**
     * Lists the first candidate whose both folders exist; cases are split by {@code split}.
     *
     * @throws DatasetLayoutException when no candidate pair exists or it holds no images
     */
    static Listing list(DatasetLayout layout, String dataset, Path root, List<Folders> candidates,
                        SeededSplit split, LabelMap labelMap) {
        LayoutFiles.requireRootFolder(root, layout);
        Path imageDir = null;
        Path maskDir = null;
        for (Folders c : candidates) {
            Optional<Path> images = LayoutFiles.folder(root, c.images());
            Optional<Path> masks = LayoutFiles.folder(root, c.masks());
            if (images.isPresent() && masks.isPresent()) {
                imageDir = images.get();
                maskDir = masks.get();
                break;
            }
        }
        if (imageDir == null) {
            throw LayoutFiles.notThisLayout(root, layout, "has none of the folder pairs " + candidates);
        }
        CasePairing pairing = new CasePairing(false);
        for (Path f : LayoutFiles.files(imageDir)) {
            Path masks = maskDir;
            LayoutFiles.stem(f.getFileName().toString(), LayoutFiles.IMAGE_EXTENSIONS).ifPresent(id ->
                    pairing.image(id, f, Map.of(), true, masks.resolve(id) + ".<png|tif|jpg>"));
        }
        for (Path f : LayoutFiles.files(maskDir)) {
            Path images = imageDir;
            LayoutFiles.stem(f.getFileName().toString(), LayoutFiles.IMAGE_EXTENSIONS).ifPresent(id ->
                    pairing.label(id, f, images.resolve(id) + ".<png|tif|jpg>"));
        }
        return TwoDimensional.listing(layout, dataset, root, pairing, split, labelMap);
    }
}
