package dev.medseg.job.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.util.List;

/**
 * Typed, validated reads from a resolved config. Every failure names the key, the value and where it came
 * from (file and line, or the command line), so users can fix it without reading code.
 */
public final class Settings {
    private final Config config;

    public Settings(Config config) { this.config = config; }

    public Config config() { return config; }

    public int intIn(String key, int min, int max) {
        int v;
        try { v = config.getInt(key); } catch (ConfigException e) { throw wrongType(key, "an integer", e); }
        if (v < min || v > max) throw bad(key, "must be in [" + min + ", " + max + "]");
        return v;
    }

    /** A whole number of any size (a seed, a count of bytes). */
    public long longValue(String key) {
        try { return config.getLong(key); } catch (ConfigException e) { throw wrongType(key, "an integer", e); }
    }

    /** A size in bytes ("64MiB", "100k", or a plain number of bytes) within [min, max]. */
    public long bytesIn(String key, long min, long max) {
        long v;
        try { v = config.getBytes(key); } catch (ConfigException e) { throw wrongType(key, "a size in bytes (e.g. 64MiB)", e); }
        if (v < min || v > max) throw bad(key, "must be in [" + min + ", " + max + "] bytes");
        return v;
    }

    public double doubleIn(String key, double min, double max) {
        double v;
        try { v = config.getDouble(key); } catch (ConfigException e) { throw wrongType(key, "a number", e); }
        if (!(v >= min && v <= max)) throw bad(key, "must be in [" + min + ", " + max + "]");
        return v;
    }

    public boolean bool(String key) {
        try { return config.getBoolean(key); } catch (ConfigException e) { throw wrongType(key, "true or false", e); }
    }

    public String string(String key) {
        try { return config.getString(key); } catch (ConfigException e) { throw wrongType(key, "a string", e); }
    }

    /** One of the allowed words (case-insensitive); returns it lower-cased. */
    public String oneOf(String key, String... allowed) {
        String v = string(key).trim().toLowerCase();
        for (String a : allowed) if (a.equals(v)) return v;
        throw bad(key, "must be one of " + String.join(", ", allowed));
    }

    public List<Integer> intList(String key, int size, int min) {
        List<Integer> v;
        try { v = config.getIntList(key); } catch (ConfigException e) { throw wrongType(key, "a list of integers", e); }
        if (size >= 0 && v.size() != size) throw bad(key, "must have " + size + " entries");
        for (int x : v) if (x < min) throw bad(key, "entries must be >= " + min);
        return List.copyOf(v);
    }

    /** A ConfigError for {@code key} with its current value and origin. */
    public ConfigError bad(String key, String rule) {
        String value = config.hasPath(key) ? config.getValue(key).render() : "(missing)";
        String origin = config.hasPath(key) ? config.getValue(key).origin().description() : "";
        return new ConfigError("config key '" + key + "' " + rule + ", got " + value
                + (origin.isEmpty() ? "" : " (from " + origin + ")"));
    }

    private ConfigError wrongType(String key, String expected, ConfigException e) {
        if (e instanceof ConfigException.Missing) return new ConfigError("config key '" + key + "' is missing");
        return bad(key, "must be " + expected);
    }
}
