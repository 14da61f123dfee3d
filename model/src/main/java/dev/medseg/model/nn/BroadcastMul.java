package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.imports.converters.DifferentialFunctionClassHolder;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * y = x·s where s broadcasts over some dims of x (a norm's per-channel or per-row scale), whose backward pass is
 * built from forward ops: dx = dy·s (one broadcast multiply) and ds = Σ dy·x over the broadcast dims.
 *
 * <p>Why: libnd4j's {@code multiply_bp} (1.0.0-M2.1, CPU) computes the broadcast product through a slow generic
 * path: 35–48 ms for a (2, 256, 63, 63)·(2, 256, 1, 1) GroupNorm scale, against under 1 ms for the forward
 * multiply, and a quarter of a TransUNet train step in all. When s needs no gradient (a frozen weight) its sum
 * is never run either.
 *
 * <p>How: SameDiff builds its gradient function from copies of the forward ops made by serialising each op and
 * re-creating it from its native op name, so a subclass of the forward op does not survive into the gradient
 * function. {@link #install()} registers {@link Op} as the class SameDiff re-creates every {@code multiply} as;
 * {@code Op} keeps the library's gradient for every multiply except ours, which it recognises by its output name
 * (the name carries the broadcast dims and survives the copy). If a future ND4J changes that registry, install()
 * logs one warning and multiplies keep the library's (correct, slower) gradient;
 * {@code GradientCheckTest} fails loudly in that case so the change is seen.
 */
public final class BroadcastMul {
    private static final Logger LOG = LoggerFactory.getLogger(BroadcastMul.class);
    private static final String PREFIX = "bmul_";
    private static final AtomicLong COUNTER = new AtomicLong();
    private static volatile Boolean installed;

    private BroadcastMul() {}

    /**
     * x·s with s the shape of x reduced over {@code dims}: kept as size 1 when {@code keepDims}, removed otherwise
     * (then s is x's trailing dims and {@code dims} its leading ones).
     */
    public static SDVariable of(SameDiff sd, SDVariable x, SDVariable s, boolean keepDims, int... dims) {
        if (dims.length == 0) throw new IllegalArgumentException("no broadcast dims");
        install();
        SDVariable y = new MulOp(sd, x, s).outputVariable();
        return sd.updateVariableNameAndReference(y, name(keepDims, dims));
    }

    /** Whether SameDiff re-creates multiplies as {@link Op}, so our multiplies get the fast gradient. */
    public static boolean installed() {
        install();
        return installed;
    }

    /** e.g. bmul_k_0_2_3_n17: k(eep) or d(rop), the dims, a number that keeps names unique in the JVM. */
    static String name(boolean keepDims, int[] dims) {
        StringBuilder b = new StringBuilder(PREFIX).append(keepDims ? 'k' : 'd');
        for (int d : dims) b.append('_').append(d);
        return b.append("_n").append(COUNTER.incrementAndGet()).toString();
    }

    /** The broadcast of an output name made by {@link #name}, or null for any other name. */
    static Broadcast parse(String name) {
        if (name == null || !name.startsWith(PREFIX)) return null;
        String[] parts = name.substring(PREFIX.length()).split("_");
        if (parts.length < 3 || !parts[parts.length - 1].startsWith("n")) return null;
        boolean keep = parts[0].equals("k");
        if (!keep && !parts[0].equals("d")) return null;
        int[] dims = new int[parts.length - 2];
        try {
            for (int i = 0; i < dims.length; i++) dims[i] = Integer.parseInt(parts[i + 1]);
        } catch (NumberFormatException e) {
            return null;
        }
        return new Broadcast(keep, dims);
    }

    record Broadcast(boolean keepDims, int[] dims) {}

    /**
     * Σ over {@code dims}; with kept dims, a leading dim 0 together with later dims is reduced last, after the
     * contiguous trailing dims (a strided reduction over a small array instead of over the full one).
     */
    static SDVariable sum(SDVariable v, boolean keepDims, int... dims) {
        if (!keepDims || dims.length < 2 || dims[0] != 0) return v.sum(keepDims, dims);
        return v.sum(true, Arrays.copyOfRange(dims, 1, dims.length)).sum(true, 0);
    }

    @SuppressWarnings("unchecked")
    private static synchronized void install() {
        if (installed != null) return;
        if (Boolean.getBoolean("medseg.libraryMultiplyGradient")) { installed = false; return; }
        try {
            long hash = Nd4j.getExecutioner().getCustomOperations().get(MulOp.OP_NAME).getHash();
            DifferentialFunctionClassHolder holder = DifferentialFunctionClassHolder.getInstance();
            Field single = DifferentialFunctionClassHolder.class.getDeclaredField("customOpHashToClass");
            Field multi = DifferentialFunctionClassHolder.class.getDeclaredField("customOpHashToClasses");
            single.setAccessible(true);
            multi.setAccessible(true);
            Map<Long, Class<?>> byHash = (Map<Long, Class<?>>) single.get(holder);
            Map<Long, Map<String, Class<?>>> byHashAndName = (Map<Long, Map<String, Class<?>>>) multi.get(holder);
            if (byHashAndName.containsKey(hash) || byHash.get(hash) != MulOp.class) {
                throw new IllegalStateException("multiply is registered as " + byHash.get(hash));
            }
            byHash.put(hash, Op.class);
            installed = true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("broadcast multiplies keep ND4J's multiply_bp gradient (slower): {}", e.toString());
            installed = false;
        }
    }

    /** The class SameDiff re-creates every multiply as once {@link #install()} ran. */
    public static final class Op extends MulOp {
        public Op() {}

        @Override
        public List<SDVariable> doDiff(List<SDVariable> grads) {
            Broadcast b = parse(outputVariable().name());
            if (b == null) return super.doDiff(grads);
            SDVariable dy = grads.get(0);
            return List.of(dy.mul(rarg()), sum(dy.mul(larg()), b.keepDims(), b.dims()));
        }
    }
}
