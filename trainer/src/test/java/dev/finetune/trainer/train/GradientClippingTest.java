package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

    @Test
    void clippingMatchesTorchClipGradNormAndReportsTheNormBeforeClipping() throws Exception {
        JsonNode c = OptimizerGoldens.load().get("clip");
        try (NDManager manager = NDManager.newBaseManager()) {
            List<NDArray> grads = new ArrayList<>();
            for (JsonNode g : c.get("grads")) {
                grads.add(manager.create(OptimizerGoldens.floats(g)));
            }
            double norm = GradientClipping.clip(grads, c.get("max_norm").asDouble());
            assertEquals(c.get("norm").asDouble(), norm, 1e-5 * norm);
            for (int i = 0; i < grads.size(); i++) {
                assertArrayEquals(
                        OptimizerGoldens.floats(c.get("clipped").get(i)),
                        grads.get(i).toFloatArray(),
                        1e-7f);
            }
        }
    }

    @Test
    void gradientsUnderTheLimitAreLeftAsTheyAre() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray g = manager.create(new float[] {0.03f, -0.04f});
            assertEquals(0.05, GradientClipping.clip(List.of(g), 1.0), 1e-7);
            assertArrayEquals(new float[] {0.03f, -0.04f}, g.toFloatArray(), 1e-9f);
        }
    }
}
