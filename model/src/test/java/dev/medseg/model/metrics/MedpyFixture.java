package dev.medseg.model.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/** Reader of tests/fixtures/metrics/hd95_cases.txt (format described in make_fixtures.py next to it). */
final class MedpyFixture {

    /** Largest grid a fixture may declare: small by design, and checked before any allocation. */
    static final int MAX_VOXELS = 1 << 20;
    static final long MAX_FILE_BYTES = 1 << 20;

    /** One case; the surface values are NaN where medpy raises (an empty mask). */
    record Case(String name, Spacing spacing, BinaryMask result, BinaryMask reference,
                double hd95, double hausdorff, double assd, double dice) {
        boolean surfaceDefined() {
            return !Double.isNaN(hd95);
        }
    }

    private MedpyFixture() {
    }

    /** The repository root (see {@link dev.medseg.model.TestFixtures}). */
    static Path repoRoot() {
        return dev.medseg.model.TestFixtures.repoRoot();
    }

    static List<Case> read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new FixtureFormatException(file + ": " + size + " bytes exceeds the fixture limit " + MAX_FILE_BYTES);
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        List<Case> cases = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                i++;
                continue;
            }
            String[] head = fields(file, i, line, "case", 8);
            Grid grid;
            Spacing spacing;
            try {
                int nx = Integer.parseInt(head[2]);
                int ny = Integer.parseInt(head[3]);
                int nz = Integer.parseInt(head[4]);
                if (nx <= 0 || ny <= 0 || nz <= 0 || (long) nx * ny * nz > MAX_VOXELS) {
                    throw new FixtureFormatException(where(file, i) + "grid " + nx + "x" + ny + "x" + nz + " is empty or larger than " + MAX_VOXELS + " voxels");
                }
                grid = new Grid(nx, ny, nz);
                spacing = new Spacing(Double.parseDouble(head[5]), Double.parseDouble(head[6]), Double.parseDouble(head[7]));
            } catch (IllegalArgumentException e) { // NumberFormatException included
                throw new FixtureFormatException(where(file, i) + "bad case header: " + e.getMessage());
            }
            BinaryMask result = mask(file, i + 1, line(file, lines, i + 1), "result", grid);
            BinaryMask reference = mask(file, i + 2, line(file, lines, i + 2), "reference", grid);
            String[] expect = fields(file, i + 3, line(file, lines, i + 3), "expect", 5);
            fields(file, i + 4, line(file, lines, i + 4), "end", 1);
            cases.add(new Case(head[1], spacing, result, reference, number(file, i + 3, expect[1]),
                    number(file, i + 3, expect[2]), number(file, i + 3, expect[3]), number(file, i + 3, expect[4])));
            i += 5;
        }
        return cases;
    }

    private static String line(Path file, List<String> lines, int i) {
        if (i >= lines.size()) {
            throw new FixtureFormatException(file + ": truncated, line " + (i + 1) + " missing");
        }
        return lines.get(i).strip();
    }

    private static String[] fields(Path file, int i, String line, String keyword, int count) {
        String[] f = line.split(" ");
        if (!f[0].equals(keyword) || f.length != count) {
            throw new FixtureFormatException(where(file, i) + "expected '" + keyword + "' with " + (count - 1) + " values, got: "
                    + (line.length() > 60 ? line.substring(0, 60) + "..." : line));
        }
        return f;
    }

    private static BinaryMask mask(Path file, int i, String line, String keyword, Grid grid) {
        String hex = fields(file, i, line, keyword, 2)[1];
        int bytes = (grid.size() + 7) / 8;
        if (hex.length() != 2 * bytes) {
            throw new FixtureFormatException(where(file, i) + keyword + " has " + hex.length() + " hex digits, grid " + grid + " needs " + 2 * bytes);
        }
        BitSet bits = new BitSet(grid.size());
        for (int b = 0; b < bytes; b++) {
            int value = Character.digit(hex.charAt(2 * b), 16) << 4 | Character.digit(hex.charAt(2 * b + 1), 16);
            if (value < 0) {
                throw new FixtureFormatException(where(file, i) + keyword + " has a non-hex digit near byte " + b);
            }
            for (int bit = 0; bit < 8; bit++) {
                if ((value >> bit & 1) != 0) {
                    int index = 8 * b + bit; // LSB-first, as numpy.packbits(bitorder="little")
                    if (index >= grid.size()) {
                        throw new FixtureFormatException(where(file, i) + keyword + " sets padding bit " + index);
                    }
                    bits.set(index);
                }
            }
        }
        return BinaryMask.of(grid, bits);
    }

    private static double number(Path file, int i, String s) {
        if (s.equals("undefined")) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new FixtureFormatException(where(file, i) + "not a number: " + s);
        }
    }

    private static String where(Path file, int i) {
        return file + " line " + (i + 1) + ": ";
    }
}
