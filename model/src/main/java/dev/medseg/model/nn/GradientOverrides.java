package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.imports.converters.DifferentialFunctionClassHolder;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Our own gradients for a few ND4J ops, for the graph nodes that ask for them.
 *
 * <p>SameDiff (1.0.0-M2.1) builds its gradient function from copies of the forward ops, made by serialising each op
 * and re-creating it from its native op name through ND4J's op registry ({@code DifferentialFunctionClassHolder}); a
 * subclass of a forward op therefore never reaches the gradient function. {@link #register} replaces, by reflection
 * and once per JVM, the registry's class for one native op with a subclass that keeps the library's gradient for
 * every node except those whose output name starts with a marker this class hands out ({@link #name}): names
 * survive the copy, and a name can carry the few integers the gradient needs.
 *
 * <p>If a future ND4J changes the registry, {@link #register} logs one warning and returns false, and the marked
 * nodes get the library's (correct, slower) gradient; {@code GradientCheckTest} fails in that case so it is seen.
 * {@code -Dmedseg.libraryGradients=true} turns the overrides off (for A/B measurements).
 */
final class GradientOverrides {
    private static final Logger LOG = LoggerFactory.getLogger(GradientOverrides.class);
    private static final AtomicLong COUNTER = new AtomicLong();
    /** The outcome of {@link #register} per op name: graph builders call it once per node. */
    private static final Map<String, Boolean> REGISTERED = new java.util.HashMap<>();

    private GradientOverrides() {}

    /**
     * Makes SameDiff re-create every {@code opName} node as {@code replacement} (a subclass of {@code library}, the
     * class ND4J registers for it). Idempotent per op; false if the override could not be installed.
     */
    static synchronized boolean register(String opName, Class<?> library, Class<?> replacement) {
        return REGISTERED.computeIfAbsent(opName, n -> install(n, library, replacement));
    }

    @SuppressWarnings("unchecked")
    private static boolean install(String opName, Class<?> library, Class<?> replacement) {
        if (Boolean.getBoolean("medseg.libraryGradients")) return false;
        try {
            long hash = Nd4j.getExecutioner().getCustomOperations().get(opName).getHash();
            DifferentialFunctionClassHolder holder = DifferentialFunctionClassHolder.getInstance();
            Field single = DifferentialFunctionClassHolder.class.getDeclaredField("customOpHashToClass");
            Field multi = DifferentialFunctionClassHolder.class.getDeclaredField("customOpHashToClasses");
            single.setAccessible(true);
            multi.setAccessible(true);
            Map<Long, Class<?>> byHash = (Map<Long, Class<?>>) single.get(holder);
            Map<Long, Map<String, Class<?>>> byHashAndName = (Map<Long, Map<String, Class<?>>>) multi.get(holder);
            Class<?> current = byHash.get(hash);
            if (current == replacement) return true;
            if (byHashAndName.containsKey(hash) || current != library) {
                throw new IllegalStateException(opName + " is registered as " + current);
            }
            // The key exists, so this only swaps a value: no structural change that a SameDiff building its
            // gradient function on another thread (Spark tasks in one executor) could trip over.
            byHash.put(hash, replacement);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("{} nodes keep ND4J's gradient (slower): {}", opName, e.toString());
            return false;
        }
    }

    /** Renames {@code v} to marker {@code prefix}, then the integers, then a number unique in this JVM. */
    static SDVariable name(SameDiff sd, SDVariable v, String prefix, int... ints) {
        StringBuilder b = new StringBuilder(prefix);
        for (int i : ints) b.append('_').append(i);
        return sd.updateVariableNameAndReference(v, b.append("_n").append(COUNTER.incrementAndGet()).toString());
    }

    /** The integers of a name made by {@link #name} with {@code prefix}, or null for any other name. */
    static int[] parse(String name, String prefix) {
        if (name == null || !name.startsWith(prefix + "_") && !name.equals(prefix)) return null;
        String[] parts = name.substring(prefix.length()).split("_");
        // parts[0] is "" (the separator after the prefix); the last part is the unique number n...
        if (parts.length < 2 || !parts[0].isEmpty() || !parts[parts.length - 1].startsWith("n")) return null;
        int[] ints = new int[parts.length - 2];
        try {
            for (int i = 0; i < ints.length; i++) ints[i] = Integer.parseInt(parts[i + 1]);
            Long.parseLong(parts[parts.length - 1].substring(1));
        } catch (NumberFormatException e) {
            return null;
        }
        return ints;
    }
}
