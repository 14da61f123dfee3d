package dev.medseg.job.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The native run-time settings bin/native-env.sh adds for our JVMs (GOMP_SPINCOUNT, OPENBLAS_THREAD_TIMEOUT, a
 * tcmalloc LD_PRELOAD), as benchmarks report and pass them on. The script lists what it added in {@code MEDSEG_NATIVE_ENV} ("K=V K=V"), so a
 * side-by-side run can give the peer its own unchanged environment, or ours on request.
 */
public final class NativeEnv {
    /** Set by bin/native-env.sh: the settings it added. */
    static final String ADDED = "MEDSEG_NATIVE_ENV";
    /** The variables that change native speed or memory, as reported in a figure's configuration. */
    static final List<String> REPORTED = List.of("GOMP_SPINCOUNT", "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT",
            "LD_PRELOAD", "OMP_NUM_THREADS");

    private NativeEnv() {}

    /** The settings bin/native-env.sh added, in order; empty when it did not run or added nothing. */
    static Map<String, String> added(Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>();
        String list = env.getOrDefault(ADDED, "").strip();
        if (list.isEmpty()) return out;
        for (String kv : list.split("\\s+")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new BenchException(ADDED + " holds '" + kv + "', not KEY=VALUE (set by bin/native-env.sh)");
            out.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return out;
    }

    /** What a figure's configuration records of this environment: the reported variables that are set. */
    static Map<String, String> describe(Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : REPORTED) if (env.get(k) != null) out.put(k, env.get(k));
        return out;
    }

    /**
     * Takes the settings bin/native-env.sh added out of {@code env} (a child process's environment), leaving what
     * the user set: a variable goes if it still holds the added value, a preloaded library leaves LD_PRELOAD's list.
     */
    static void removeAdded(Map<String, String> env) {
        for (var e : added(env).entrySet()) {
            String k = e.getKey(), v = e.getValue(), now = env.get(k);
            if (now == null) continue;
            if (k.equals("LD_PRELOAD")) {
                List<String> libs = new ArrayList<>(Arrays.asList(now.split(":")));
                libs.remove(v);
                libs.removeIf(String::isEmpty);
                if (libs.isEmpty()) env.remove(k);
                else env.put(k, String.join(":", libs));
            } else if (now.equals(v)) {
                env.remove(k);
            }
        }
        env.remove(ADDED);
    }
}
