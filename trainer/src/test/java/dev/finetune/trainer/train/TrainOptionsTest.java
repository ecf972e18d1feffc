package dev.finetune.trainer.train;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainOptionsTest {

    private static Map<String, Object> minimal() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("base_model_id", "/models/x");
        m.put("shards_dir", "/data/x");
        return m;
    }

    @Test
    void snakeCaseKeysFillTheOptionsAndRoundTrip() {
        Map<String, Object> m = minimal();
        m.put("lora_r", 16);
        m.put("use_4bit", false);
        m.put("lora_target_modules", "q_proj,k_proj");
        m.put("lr_scheduler", "cosine");
        TrainOptions o = TrainOptions.fromMap(m).validate();
        assertEquals(16, o.loraR);
        assertEquals(false, o.use4bit);
        assertEquals(java.util.Arrays.asList("q_proj", "k_proj"), o.loraTargetModules);
        assertEquals(false, o.toMap().get("use_4bit"));
        assertEquals(o.toMap(), TrainOptions.fromMap(o.toMap()).toMap());
    }

    @Test
    void anUnknownKeyIsRefusedByName() {
        Map<String, Object> m = minimal();
        m.put("lora_rank", 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.fromMap(m));
        assertTrue(e.getMessage().contains("lora_rank"), e.getMessage());
    }

    @Test
    void validationNamesTheOptionTheValueAndTheRange() {
        Map<String, Object> m = minimal();
        m.put("lora_dropout", 1.5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> TrainOptions.fromMap(m).validate());
        assertEquals("lora_dropout = 1.5 is not allowed; expected [0, 1)", e.getMessage());
    }

    @Test
    void theSettingsTrainPrintsAreExactlyTheOptionsAKeyOrFlagCanSet() {
        TrainOptions o = TrainOptions.fromMap(minimal()).validate();
        Map<String, Object> shown = TrainCommand.settable(o);
        dev.finetune.config.ConfigSchema schema = dev.finetune.config.ConfigSchema.get();
        for (String k : o.toMap().keySet()) {
            assertEquals(schema.has(k), shown.containsKey(k), k);
        }
        assertTrue(shown.containsKey("learning_rate") && !shown.containsKey("adam_beta1")
            && !shown.containsKey("eval_max_rows"), shown.toString());
    }
}
