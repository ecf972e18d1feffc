package dev.finetune.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.finetune.config.ConfigLoader;
import dev.finetune.config.RunConfig;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** prepare is given the configuration's dataset section, and its own defaults are the configuration's. */
class PrepareOptionsTest {

    private static RunConfig preset(String name) {
        return ConfigLoader.load(
                Paths.get(System.getProperty("project.root", "..")).resolve("conf/" + name), Collections.emptyMap());
    }

    @Test
    void prepareGetsTheConfiguredDatasetColumnsAndPacking() {
        RunConfig c = preset("l4-24gb.yaml");
        PrepareOptions o = PrepareOptions.of(c.prepare(), c.sparkMaster, "/tok", false);
        assertEquals("hf://datasets/" + c.datasetId, o.source);
        assertEquals(c.datasetSplit, o.split);
        assertEquals(c.validationSplit, o.validationSplit);
        assertEquals(c.messagesColumn, o.messagesColumn);
        assertNull(o.textColumn, "a conversation column replaces the text column");
        assertEquals(c.maxSeqLength, o.maxSeqLength);
        assertEquals(c.seed, o.holdoutSeed);
        assertEquals(c.resolvedShardsDir(), o.output);
        assertEquals(c.sparkMaster, o.master);
        assertEquals("/tok", o.tokenizer);
    }

    @Test
    void optionsBuiltWithoutAConfigurationHoldTheConfigurationsDefaults() {
        RunConfig d = RunConfig.defaults();
        d.datasetId = "/data/x.jsonl";
        Map<String, Object> fromConfig =
                PrepareOptions.of(d.prepare(), d.sparkMaster, "/tok", false).toMap();
        Map<String, Object> plain = new PrepareOptions().toMap();
        for (String key : new String[] {
            "split",
            "revision",
            "holdout_fraction",
            "holdout_seed",
            "text_column",
            "train_on",
            "eos_token",
            "max_seq_length",
            "packing",
            "long_documents",
            "validation_split"
        }) {
            assertEquals(fromConfig.get(key), plain.get(key), key);
        }
    }
}
