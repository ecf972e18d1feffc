package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LrScheduleTest {

    @Test
    void everyScheduleGivesTransformersLearningRatesStepByStep() throws Exception {
        JsonNode s = OptimizerGoldens.load().get("schedules");
        Iterator<Map.Entry<String, JsonNode>> kinds = s.get("lrs").fields();
        int checked = 0;
        while (kinds.hasNext()) {
            Map.Entry<String, JsonNode> e = kinds.next();
            LrSchedule schedule = new LrSchedule(
                    LrSchedule.Kind.parse(e.getKey()),
                    s.get("base_lr").asDouble(),
                    s.get("warmup_steps").asLong(),
                    s.get("total_steps").asLong());
            for (int step = 0; step < e.getValue().size(); step++) {
                assertEquals(
                        e.getValue().get(step).asDouble(), schedule.lr(step), 1e-15, e.getKey() + " at step " + step);
                checked++;
            }
        }
        assertTrue(checked >= 48, "expected four schedules of 12 steps, checked " + checked);
    }

    @Test
    void anUnknownSchedulerIsRefusedByName() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> LrSchedule.Kind.parse("polynomial"));
        assertTrue(e.getMessage().contains("lr_scheduler: 'polynomial'"), e.getMessage());
    }
}
