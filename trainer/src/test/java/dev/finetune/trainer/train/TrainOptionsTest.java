package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.config.ConfigException;
import dev.finetune.config.ConfigLoader;
import dev.finetune.config.ConfigSchema;
import dev.finetune.config.RunConfig;
import dev.finetune.config.Section;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainOptionsTest {

    private static RunConfig preset(String name) {
        return ConfigLoader.load(
                Paths.get(System.getProperty("project.root", "..")).resolve("conf/" + name), Collections.emptyMap());
    }

    @Test
    void everyLoraAndTrainingKeyReachesTheTrainerWithItsConfiguredValue() {
        RunConfig c = preset("a100-40gb.yaml");
        Map<String, Object> user = ConfigLoader.toMap(c);
        Map<String, Object> trainer = TrainOptions.of(c, "/models/x", "/data/x").toMap();
        for (ConfigSchema.Key k : ConfigSchema.get().keys()) {
            if (k.section == Section.LORA || k.section == Section.TRAINING) {
                assertTrue(trainer.containsKey(k.name), k.name + " does not reach the trainer");
            }
            if (trainer.containsKey(k.name) && !k.name.equals("base_model_id") && !k.name.equals("shards_dir")) {
                assertEquals(String.valueOf(user.get(k.name)), String.valueOf(trainer.get(k.name)), k.name);
            }
        }
        assertEquals("/models/x", trainer.get("base_model_id"));
        assertEquals("/data/x", trainer.get("shards_dir"));
    }

    @Test
    void aValueOutOfRangeIsRefusedNamingTheKeyAndTheValue() {
        RunConfig c = new RunConfig();
        c.loraDropout = 1.5;
        ConfigException e = assertThrows(ConfigException.class, () -> TrainOptions.of(c, "/models/x", "/data/x"));
        assertTrue(e.getMessage().contains("lora_dropout = 1.5 must be in [0, 1)"), e.getMessage());
    }

    @Test
    void theSettingsTrainPrintsAreExactlyTheOptionsAKeyOrFlagCanSet() {
        TrainOptions o = TrainOptions.of(new RunConfig(), "/models/x", "/data/x");
        Map<String, Object> shown = TrainCommand.settable(o);
        ConfigSchema schema = ConfigSchema.get();
        for (String k : o.toMap().keySet()) {
            assertEquals(schema.has(k), shown.containsKey(k), k);
        }
        assertTrue(
                shown.containsKey("learning_rate")
                        && !shown.containsKey("adam_beta1")
                        && !shown.containsKey("eval_max_rows"),
                shown.toString());
    }
}
