package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class LossScalerTest {

    @Test
    void scaleGrowsBacksOffAndSkipsLikeTorchGradScaler() throws Exception {
        JsonNode s = OptimizerGoldens.load().get("scaler");
        LossScaler scaler = LossScaler.dynamic(
                s.get("init").asDouble(),
                s.get("growth").asDouble(),
                s.get("backoff").asDouble(),
                s.get("interval").asInt());
        int overflows = 0;
        for (int i = 0; i < s.get("finite").size(); i++) {
            boolean finite = s.get("finite").get(i).asBoolean();
            assertEquals(finite, scaler.update(finite), "step " + i + " may step only when finite");
            assertEquals(s.get("scales").get(i).asDouble(), scaler.scale(), "scale after step " + i);
            overflows += finite ? 0 : 1;
        }
        assertEquals(overflows, scaler.skippedSteps());
    }

    @Test
    void defaultsAreGradScalersAndFp32NeverScales() {
        LossScaler scaler = LossScaler.dynamic();
        assertEquals(65536.0, scaler.scale());
        for (int i = 0; i < 1999; i++) {
            scaler.update(true);
        }
        assertEquals(65536.0, scaler.scale());
        scaler.update(true);
        assertEquals(131072.0, scaler.scale());
        LossScaler none = LossScaler.none();
        assertFalse(none.update(false));
        assertEquals(1.0, none.scale());
        assertTrue(none.update(true));
    }
}
