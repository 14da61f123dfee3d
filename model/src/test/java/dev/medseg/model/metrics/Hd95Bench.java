package dev.medseg.model.metrics;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.BitSet;

/**
 * Timing of HD95 on 512x512x200 volumes (not a unit test: run by hand).
 * <pre>
 * mvn -q -o -pl model test-compile
 * java -Xmx1g -cp model/target/classes:model/target/test-classes dev.medseg.model.metrics.Hd95Bench
 * </pre>
 */
public final class Hd95Bench {

    private Hd95Bench() {
    }

    /** Prints the time of HD95 for an organ-sized pair and for a pair of ellipsoids filling most of the volume. */
    public static void main(String[] args) {
        Grid g = new Grid(512, 512, 200);
        Spacing ct = new Spacing(0.78, 0.78, 2.5);
        run("organ-sized ellipsoids (r 110x90x50, shifted 3,2,1)", g,
                ellipsoid(g, 260, 250, 100, 110, 90, 50), ellipsoid(g, 263, 252, 101, 112, 88, 50), ct);
        run("volume-filling ellipsoids (r 250x250x99, shifted 4,3,1)", g,
                ellipsoid(g, 256, 256, 100, 250, 250, 99), ellipsoid(g, 260, 259, 101, 248, 250, 99), ct);
    }

    private static void run(String name, Grid g, BinaryMask a, BinaryMask b, Spacing spacing) {
        // thread CPU time, because the machine is shared and wall time says more about the neighbours
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        for (int rep = 0; rep < 3; rep++) { // the first round includes JIT warm-up
            long t0 = cpu.getCurrentThreadCpuTime();
            double hd95 = SurfaceDistances.between(a, b, Spacing.UNIT).hd95();
            long t1 = cpu.getCurrentThreadCpuTime();
            ClassScore s = CaseScorer.scoreClass(1, a, b, spacing, EmptyMaskRule.TRANSUNET);
            long t2 = cpu.getCurrentThreadCpuTime();
            System.out.printf("%s: |A|=%d |B|=%d%n  hd95 %.4f vox: %.2f s CPU;  scoreClass (voxels + mm, dice %.4f,"
                            + " hd95 %.3f mm): %.2f s CPU%n",
                    name, a.count(), b.count(), hd95, (t1 - t0) / 1e9, s.dice(), s.hd95Mm(), (t2 - t1) / 1e9);
        }
    }

    private static BinaryMask ellipsoid(Grid g, double cx, double cy, double cz, double rx, double ry, double rz) {
        BitSet bits = new BitSet(g.size());
        for (int z = 0; z < g.nz(); z++) {
            for (int y = 0; y < g.ny(); y++) {
                for (int x = 0; x < g.nx(); x++) {
                    double dx = (x - cx) / rx;
                    double dy = (y - cy) / ry;
                    double dz = (z - cz) / rz;
                    if (dx * dx + dy * dy + dz * dz <= 1) {
                        bits.set(g.index(x, y, z));
                    }
                }
            }
        }
        return BinaryMask.of(g, bits);
    }
}
