package dev.medseg.job.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a run's configuration: the built-in {@code conf/defaults.conf}, then an optional HOCON file (which may
 * {@code include} others), then {@code key=value} overrides, in rising priority. Keys that the defaults do not
 * know are refused with the closest known key, so a typo never silently falls back to a default.
 */
public final class ConfigLoader {
    /** Where conf/defaults.conf is packaged in the job jar (copied there at build time; one source file). */
    static final String DEFAULTS_RESOURCE = "conf/defaults.conf";

    /** Sections whose keys are free-form maps (e.g. a label map): not checked against the defaults. */
    static final Set<String> OPEN_SECTIONS = Set.of();

    private ConfigLoader() {}

    /** The built-in defaults alone. */
    public static Config defaults() {
        Config d = ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), DEFAULTS_RESOURCE,
                ConfigParseOptions.defaults().setAllowMissing(false));
        return d.resolve();
    }

    /**
     * Loads and resolves a configuration.
     *
     * @param file      a HOCON file, or empty for the defaults alone
     * @param overrides {@code key=value} strings (HOCON values: {@code model.llm.enabled=false},
     *                  {@code model.decoder.channels=[64,32,16,8]})
     * @throws ConfigError naming the file, key or override that is wrong
     */
    public static Config load(Optional<Path> file, List<String> overrides) {
        Config defaults = defaults();
        Config merged = defaults;
        if (file.isPresent()) {
            Path p = file.get();
            if (!Files.isRegularFile(p)) throw new ConfigError("config file not found: " + p);
            Config user;
            try {
                user = ConfigFactory.parseFile(p.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (com.typesafe.config.ConfigException e) {
                throw new ConfigError("cannot read config " + p + ": " + e.getMessage(), e);
            }
            checkKnown(user, defaults, p.toString());
            merged = user.withFallback(merged);
        }
        List<Config> parsedOverrides = new ArrayList<>();
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) throw new ConfigError("override '" + o + "' is not of the form key=value");
            Config c;
            try {
                c = ConfigFactory.parseString(o, ConfigParseOptions.defaults().setOriginDescription("command line '" + o + "'"));
            } catch (com.typesafe.config.ConfigException e) {
                throw new ConfigError("cannot parse override '" + o + "': " + e.getMessage(), e);
            }
            checkKnown(c, defaults, "command line");
            parsedOverrides.add(c);
        }
        for (Config c : parsedOverrides) merged = c.withFallback(merged);
        try {
            return merged.resolve(ConfigResolveOptions.defaults().setAllowUnresolved(false));
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigError("cannot resolve config: " + e.getMessage(), e);
        }
    }

    /** The resolved configuration as HOCON text, as runs record it. */
    public static String render(Config config) {
        return "# resolved configuration of this run (defaults + file + overrides)\n"
                + config.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
    }

    /** Writes the resolved configuration as HOCON (the run's record of what it ran with). */
    public static void write(Config config, Path target) throws IOException {
        String text = render(config);
        Files.createDirectories(target.toAbsolutePath().getParent());
        Files.writeString(target, text, StandardCharsets.UTF_8);
    }

    private static void checkKnown(Config user, Config defaults, String source) {
        for (Map.Entry<String, ?> e : user.entrySet()) {
            String key = e.getKey();
            if (OPEN_SECTIONS.stream().anyMatch(s -> key.startsWith(s + "."))) continue;
            if (!defaults.hasPathOrNull(key)) {
                String hint = closest(key, defaults).map(k -> " (did you mean '" + k + "'?)").orElse("");
                throw new ConfigError("unknown config key '" + key + "' in " + source + hint);
            }
        }
    }

    private static Optional<String> closest(String key, Config defaults) {
        return defaults.entrySet().stream().map(Map.Entry::getKey)
                .min(Comparator.comparingInt(k -> editDistance(k.toLowerCase(), key.toLowerCase())))
                .filter(k -> editDistance(k.toLowerCase(), key.toLowerCase()) <= Math.max(3, key.length() / 3));
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }
}
