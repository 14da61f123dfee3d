package dev.medseg.job.cli;

import com.typesafe.config.Config;
import dev.medseg.job.config.ConfigLoader;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code --conf FILE} and trailing {@code key=value} overrides, shared by the commands that take a config. */
final class ConfigOptions {
    @Option(names = "--conf", paramLabel = "FILE", description = "HOCON config (includes conf/defaults.conf).")
    Path conf;

    @Parameters(paramLabel = "key=value", description = "Config overrides, e.g. model.llm.enabled=false.")
    List<String> overrides = new ArrayList<>();

    Config load() {
        return ConfigLoader.load(Optional.ofNullable(conf), overrides);
    }
}
