package dev.medseg.job.train;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import dev.medseg.job.config.ModelSettings;
import dev.medseg.job.config.Settings;
import dev.medseg.model.ModelConfig;

import java.io.Serializable;

/**
 * What an executor needs to build its model for a run: the resolved config as HOCON text (small; parsed once per
 * executor JVM) and where the frozen LLM block lives. Its {@link #cacheKey()} identifies the executor-side model
 * cache entry, so consecutive rounds and validations reuse graphs and frozen weights.
 */
public record RunSpec(String configText, String llmCheckpoint, int llmLayer) implements Serializable {

    /** The spec of a run with this resolved config. */
    public static RunSpec of(Config resolved) {
        String text = resolved.root().render(ConfigRenderOptions.concise());
        return new RunSpec(text, resolved.getString("model.llm.checkpoint").trim(), resolved.getInt("model.llm.layer"));
    }

    public Config config() {
        return ConfigFactory.parseString(configText);
    }

    public ModelConfig model() {
        return ModelSettings.from(new Settings(config()));
    }

    public TrainSettings train() {
        return TrainSettings.from(new Settings(config()));
    }

    /** Identifies the model build (config text and weights location). */
    public String cacheKey() {
        return Integer.toHexString(configText.hashCode()) + ":" + configText.length() + ":" + llmCheckpoint + ":" + llmLayer;
    }
}
