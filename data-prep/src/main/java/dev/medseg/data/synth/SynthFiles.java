package dev.medseg.data.synth;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** File output shared by the generators; every writer here is deterministic (no timestamps, fixed quality). */
final class SynthFiles {
    private SynthFiles() {}

    /** Creates {@code root}; refuses a non-empty folder so a generated tree is never mixed with other files. */
    static void prepareRoot(Path root) {
        try {
            if (Files.exists(root)) {
                if (!Files.isDirectory(root)) throw new IllegalArgumentException(root + " exists and is not a folder");
                try (Stream<Path> s = Files.list(root)) {
                    if (s.findAny().isPresent()) throw new IllegalArgumentException(root + " is not empty; synthetic data goes into an empty or new folder");
                }
            }
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + root, e);
        }
    }

    static Path folder(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    static void text(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static void png(Path file, BufferedImage image) {
        try {
            if (!ImageIO.write(image, "png", file.toFile())) throw new IllegalStateException("no PNG writer");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Baseline JPEG at quality 0.92, like camera/dermoscope exports. */
    static void jpeg(Path file, BufferedImage rgb) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(0.92f);
            writer.setOutput(out);
            writer.write(null, new IIOImage(rgb, null, null), p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        } finally {
            writer.dispose();
        }
    }

    /** A gray image from 0..255 values (clamped). */
    static BufferedImage gray(double[] v, int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        var raster = img.getRaster();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) raster.setSample(x, y, 0, clamp255(v[y * width + x]));
        }
        return img;
    }

    /** A 0/255 mask image. */
    static BufferedImage mask(boolean[] m, int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        var raster = img.getRaster();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) raster.setSample(x, y, 0, m[y * width + x] ? 255 : 0);
        }
        return img;
    }

    static int clamp255(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }
}
