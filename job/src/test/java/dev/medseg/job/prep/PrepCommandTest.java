package dev.medseg.job.prep;

import com.typesafe.config.Config;
import dev.medseg.job.cli.Medseg;
import dev.medseg.job.config.ConfigLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code medseg prep} through the real command line: exit codes, messages, config keys and dataset files. */
class PrepCommandTest {

    record Run(int exit, String out, String err) {
    }

    @TempDir
    static Path dir;
    static Path tree;

    static Run run(String... args) {
        CommandLine cl = Medseg.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void tree() throws IOException {
        tree = dir.resolve("polyps");
        for (int i = 0; i < 5; i++) {
            png(tree.resolve("images/p" + i + ".png"), 6, 5, 20 * i + 3);
            png(tree.resolve("masks/0/p" + i + ".png"), 6, 5, 255);
        }
        png(tree.resolve("images/q.png"), 6, 5, 9);
        png(tree.resolve("masks/0/q.png"), 4, 4, 255); // shape mismatch: rejected
    }

    static void png(Path f, int w, int h, int base) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, base == 255 ? (x < 3 ? 255 : 0) : (base + x + y) % 256);
            }
        }
        Files.createDirectories(f.getParent());
        ImageIO.write(img, "png", f.toFile());
    }

    static Path repo() {
        String p = System.getProperty("medseg.repo.root");
        if (p != null && Files.isDirectory(Path.of(p, ".mvn"))) {
            return Path.of(p);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve(".mvn"))) {
                return d;
            }
        }
        throw new IllegalStateException("no repository root");
    }

    @Test
    void rejectedCasesGiveExit4AndAnExistingOutputExit2() {
        Path out = dir.resolve("out");
        Run r = run("prep", "--conf", repo().resolve("conf/datasets/images-masks.conf").toString(), "--input", tree.toString(),
                "--output", out.toString(), "prep.imageSize=8");
        assertEquals(4, r.exit(), r.err());
        assertTrue(r.err().contains("1 case(s) or file(s) rejected; see the rejected table"), r.err());
        assertTrue(r.err().contains("shape mismatch"), r.err());
        assertTrue(r.out().contains("5 slices of 5 cases written"), r.out());
        assertTrue(Files.exists(out.resolve("manifest.json")));
        assertTrue(Files.isDirectory(out.resolve("rejected")));

        Run again = run("prep", "--dataset", "images-masks", "--input", tree.toString(), "--output", out.toString());
        assertEquals(2, again.exit(), again.err());
        assertTrue(again.err().contains("already exists; choose another --output or pass --overwrite"), again.err());

        Path strictOut = dir.resolve("strict");
        Run strict = run("prep", "--dataset", "images-masks", "--input", tree.toString(), "--output", strictOut.toString(),
                "--strict", "prep.imageSize=4");
        assertEquals(4, strict.exit(), strict.err());
        assertTrue(strict.err().contains("strict: 1 case(s) or file(s) rejected, nothing written"), strict.err());
        assertFalse(Files.exists(strictOut));
    }

    @Test
    void usageAndConfigErrorsExit2() {
        Run noDataset = run("prep", "--input", tree.toString(), "--output", dir.resolve("x").toString());
        assertEquals(2, noDataset.exit());
        assertTrue(noDataset.err().contains("no dataset: pass --dataset NAME"), noDataset.err());
        Run typo = run("prep", "--dataset", "busi", "--input", tree.toString(), "--output", dir.resolve("x").toString(),
                "prep.imagesize=8");
        assertEquals(2, typo.exit());
        assertTrue(typo.err().contains("unknown config key 'prep.imagesize'"), typo.err());
        Run badInterp = run("prep", "--dataset", "busi", "--input", tree.toString(), "--output", dir.resolve("x").toString(),
                "prep.interpolation=lanczos");
        assertEquals(2, badInterp.exit());
        assertTrue(badInterp.err().contains("prep.interpolation' must be one of linear, cubic"), badInterp.err());
        Run badIntensity = run("prep", "--dataset", "busi", "--input", tree.toString(), "--output", dir.resolve("x").toString(),
                "prep.intensity=\"ct-window(5,1)\"");
        assertEquals(2, badIntensity.exit());
        assertTrue(badIntensity.err().contains("ct-window needs finite lo < hi"), badIntensity.err());
        Run unknown = run("prep", "--dataset", "nosuch", "--input", tree.toString(), "--output", dir.resolve("x").toString());
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("unknown dataset layout 'nosuch'"), unknown.err());
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void everyDatasetConfigLoadsAndSetsItsDataset() {
        List<String> names = List.of("synapse", "acdc", "msd", "isic2017", "busi", "cvc-clinicdb", "cvc-colondb", "images-masks");
        for (String n : names) {
            Config c = ConfigLoader.load(Optional.of(repo().resolve("conf/datasets/" + n + ".conf")), List.of());
            String expected = n.equals("msd") ? "decathlon" : n;
            assertEquals(expected, c.getString("prep.dataset"), n);
            assertEquals(256, c.getInt("prep.imageSize"), n);
        }
        Config synapse = ConfigLoader.load(Optional.of(repo().resolve("conf/datasets/synapse.conf")), List.of());
        assertEquals(9, synapse.getInt("model.numClasses"));
        assertEquals("ct-window(-125,275)", synapse.getString("prep.intensity"));
        Config acdc = ConfigLoader.load(Optional.of(repo().resolve("conf/datasets/acdc.conf")), List.of());
        assertEquals(4, acdc.getInt("model.numClasses"));
        Config isic = ConfigLoader.load(Optional.of(repo().resolve("conf/datasets/isic2017.conf")), List.of());
        assertEquals(3, isic.getInt("model.inChannels"));
        assertEquals(3, isic.getInt("prep.channels"));
    }
}
