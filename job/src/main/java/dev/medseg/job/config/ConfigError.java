package dev.medseg.job.config;

/** A configuration problem, with a message that names the key, file or override at fault. */
public final class ConfigError extends RuntimeException {
    public ConfigError(String message) { super(message); }
    public ConfigError(String message, Throwable cause) { super(message, cause); }
}
