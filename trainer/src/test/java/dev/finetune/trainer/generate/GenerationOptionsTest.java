package dev.finetune.trainer.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.config.ConfigLoader;
import dev.finetune.config.RunConfig;
import java.nio.file.Paths;
import java.util.Collections;
import org.junit.jupiter.api.Test;

/** The generator samples with the configuration's values, and without one with the configuration's defaults. */
class GenerationOptionsTest {

    private static String settings(GenerationOptions o) {
        return o.maxNewTokens + " " + o.isGreedy() + " " + o.temperature + " " + o.topP + " " + o.topK + " " + o.seed;
    }

    @Test
    void optionsBuiltWithoutAConfigurationSampleAsTheDefaultConfigurationDoes() {
        assertEquals(
                settings(GenerationOptions.of(RunConfig.defaults().generation())), settings(new GenerationOptions()));
    }

    @Test
    void theConfiguredSamplingSettingsReachTheGenerator() {
        RunConfig c = ConfigLoader.load(
                Paths.get(System.getProperty("project.root", "..")).resolve("conf/demo.yaml"), Collections.emptyMap());
        c.topK = 5;
        c.topP = 0.5;
        GenerationOptions o = GenerationOptions.of(c.generation());
        assertEquals(c.temperature == 0, o.isGreedy());
        assertEquals(
                c.maxNewTokens + " " + (c.temperature == 0) + " " + c.temperature + " 0.5 5 " + c.seed, settings(o));
    }
}
