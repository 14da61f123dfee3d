package dev.medseg.data.prep;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Resampler against scipy.ndimage.zoom outputs (tests/fixtures/prep/make_fixtures.py) and hand-computed values. */
class ResamplerTest {

    record ZoomCase(String name, int order, int h, int w, int outH, int outW, float[] in, float[] expected) {
    }

    static List<ZoomCase> fixtures() throws IOException {
        Path file = RepoRoot.find().resolve("tests/fixtures/prep/zoom_cases.txt");
        List<String> lines = Files.readAllLines(file);
        List<ZoomCase> cases = new ArrayList<>();
        for (int i = 0; i + 2 < lines.size() + 1; i += 3) {
            String[] head = lines.get(i).split(" ");
            assertEquals("case", head[0]);
            cases.add(new ZoomCase(head[1], Integer.parseInt(head[2]), Integer.parseInt(head[3]), Integer.parseInt(head[4]),
                    Integer.parseInt(head[5]), Integer.parseInt(head[6]), floats(lines.get(i + 1)), floats(lines.get(i + 2))));
        }
        return cases;
    }

    private static float[] floats(String line) {
        String[] parts = line.trim().split(" ");
        float[] v = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            v[i] = Float.parseFloat(parts[i]);
        }
        return v;
    }

    @Test
    void matchesScipyZoomForEveryFixture() throws IOException {
        List<ZoomCase> cases = fixtures();
        assertEquals(13, cases.size());
        for (ZoomCase c : cases) {
            String what = c.name() + " order " + c.order();
            if (c.order() == 0) {
                byte[] in = new byte[c.in().length];
                for (int i = 0; i < in.length; i++) {
                    in[i] = (byte) c.in()[i];
                }
                byte[] out = Resampler.resizeLabels(in, c.h(), c.w(), c.outH(), c.outW());
                for (int i = 0; i < out.length; i++) {
                    assertEquals((int) c.expected()[i], out[i] & 0xff, what + " at " + i);
                }
            } else {
                Interpolation kind = c.order() == 1 ? Interpolation.LINEAR : Interpolation.CUBIC;
                float[] out = Resampler.resize(c.in(), c.h(), c.w(), c.outH(), c.outW(), kind);
                assertEquals(c.expected().length, out.length, what);
                for (int i = 0; i < out.length; i++) {
                    float e = c.expected()[i];
                    assertEquals(e, out[i], 2e-5f * Math.max(1f, Math.abs(e)), what + " at " + i);
                }
            }
        }
    }

    @Test
    void linearAlignsCornersByHand() {
        // 2x2 -> 3x3: corners kept, centre is the mean, edges the pairwise means
        float[] out = Resampler.resize(new float[]{0, 2, 4, 6}, 2, 2, 3, 3, Interpolation.LINEAR);
        assertArrayEquals(new float[]{0, 1, 2, 2, 3, 4, 4, 5, 6}, out, 1e-6f);
    }

    @Test
    void cubicReproducesALinearRamp() {
        // B-splines reproduce polynomials up to degree 3 away from the boundary; a ramp is kept exactly only
        // with a mirror boundary at the sample grid, which is what scipy uses: check the interior samples.
        float[] ramp = new float[10];
        for (int i = 0; i < 10; i++) {
            ramp[i] = i;
        }
        float[] out = Resampler.resize(ramp, 1, 10, 1, 19, Interpolation.CUBIC);
        assertEquals(4.5f, out[9], 1e-5f);
        assertEquals(0f, out[0], 1e-5f);
        assertEquals(9f, out[18], 1e-5f);
    }

    @Test
    void mirrorIndexing() {
        assertEquals(1, Resampler.mirror(-1, 4));
        assertEquals(2, Resampler.mirror(4, 4));
        assertEquals(0, Resampler.mirror(6, 4));
        assertEquals(0, Resampler.mirror(5, 1));
    }

    @Test
    void refusesMismatchedShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Resampler.resize(new float[5], 2, 2, 4, 4, Interpolation.LINEAR));
        assertTrue(e.getMessage().contains("5 values as 2x2"), e.getMessage());
    }
}
