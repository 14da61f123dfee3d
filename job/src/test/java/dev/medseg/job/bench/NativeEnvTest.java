package dev.medseg.job.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class NativeEnvTest {
    static final Path SCRIPT = Path.of("..", "bin", "native-env.sh");

    @Test
    void thePeerLosesWhatTheScriptAddedAndKeepsWhatTheUserSet() {
        Map<String, String> env = new HashMap<>(Map.of(
                NativeEnv.ADDED, "GOMP_SPINCOUNT=10000 LD_PRELOAD=/lib/libtcmalloc_minimal.so.4",
                "GOMP_SPINCOUNT", "10000",
                "LD_PRELOAD", "/lib/libtcmalloc_minimal.so.4:/opt/user/libhook.so",
                "OMP_NUM_THREADS", "2", "PATH", "/usr/bin"));
        assertEquals(Map.of("GOMP_SPINCOUNT", "10000", "LD_PRELOAD", "/lib/libtcmalloc_minimal.so.4"), NativeEnv.added(env));
        NativeEnv.removeAdded(env);
        assertEquals(Map.of("LD_PRELOAD", "/opt/user/libhook.so", "OMP_NUM_THREADS", "2", "PATH", "/usr/bin"), env);
        assertEquals(Map.of("LD_PRELOAD", "/opt/user/libhook.so", "OMP_NUM_THREADS", "2"), NativeEnv.describe(env));

        // a value the user changed after the script ran stays
        Map<String, String> changed = new HashMap<>(Map.of(NativeEnv.ADDED, "GOMP_SPINCOUNT=10000", "GOMP_SPINCOUNT", "0"));
        NativeEnv.removeAdded(changed);
        assertEquals(Map.of("GOMP_SPINCOUNT", "0"), changed);
        var bad = assertThrows(BenchException.class, () -> NativeEnv.added(Map.of(NativeEnv.ADDED, "GOMP_SPINCOUNT")));
        assertTrue(bad.getMessage().contains("not KEY=VALUE"), bad.getMessage());
    }

    @Test
    void theScriptAddsSpinCountsAndTcmallocUnlessSetOrOff(@TempDir Path dir) throws Exception {
        Path lib = Files.createFile(dir.resolve("libtcmalloc_minimal.so.4"));
        Map<String, String> on = source(Map.of("MEDSEG_TCMALLOC", lib.toString()));
        assertEquals("10000", on.get("GOMP_SPINCOUNT"));
        assertEquals(lib.toString(), on.get("LD_PRELOAD"));
        assertEquals("4", on.get("OPENBLAS_THREAD_TIMEOUT"));
        assertEquals(Map.of("GOMP_SPINCOUNT", "10000", "OPENBLAS_THREAD_TIMEOUT", "4", "LD_PRELOAD", lib.toString()),
                NativeEnv.added(on));

        Map<String, String> user = source(Map.of("MEDSEG_TCMALLOC", lib.toString(), "GOMP_SPINCOUNT", "5",
                "OPENBLAS_THREAD_TIMEOUT", "30", "LD_PRELOAD", "/opt/libhook.so"));
        assertEquals("5", user.get("GOMP_SPINCOUNT"));
        assertEquals("30", user.get("OPENBLAS_THREAD_TIMEOUT"));
        assertEquals(lib + ":/opt/libhook.so", user.get("LD_PRELOAD"));
        assertEquals(Map.of("LD_PRELOAD", lib.toString()), NativeEnv.added(user));

        Map<String, String> off = source(Map.of("MEDSEG_TCMALLOC", lib.toString(), "MEDSEG_NATIVE_TUNING", "off"));
        assertNull(off.get("GOMP_SPINCOUNT"));
        assertNull(off.get("OPENBLAS_THREAD_TIMEOUT"));
        assertNull(off.get("LD_PRELOAD"));
        assertEquals(Map.of(), NativeEnv.added(off));
    }

    /** The environment after sourcing bin/native-env.sh with {@code given} (no tcmalloc but MEDSEG_TCMALLOC's). */
    private static Map<String, String> source(Map<String, String> given) throws IOException, InterruptedException {
        // a PATH-only environment, so the machine's own LD_PRELOAD/GOMP settings do not leak in; the script's
        // system paths are shadowed by pointing it at the temp file first (it stops at the first that exists)
        ProcessBuilder pb = new ProcessBuilder("bash", "-c",
                "source \"$1\" && env -0", "bash", SCRIPT.toAbsolutePath().toString());
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv("PATH"));
        pb.environment().putAll(given);
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        Map<String, String> env = new HashMap<>();
        for (String kv : List.of(out.split("\0"))) {
            int eq = kv.indexOf('=');
            if (eq > 0) env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return env;
    }
}
