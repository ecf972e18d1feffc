package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.trainer.tensor.ScriptModules;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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

    @Test
    void theNormThroughTheModuleEqualsThePerTensorNormWithin1e6Relative() {
        assertTrue(ScriptModules.usable(ScriptModules.GLOBAL_NORM, Device.cpu()), "global_norm.pt does not load");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            List<NDArray> grads = randomGrads(manager, 3);
            NDList norms = new NDList();
            double sumOfSquares = 0;
            for (NDArray g : grads) {
                norms.add(g.norm()); // the per-tensor path: a norm per tensor, then the norm of their stack
                for (float v : g.toFloatArray()) {
                    sumOfSquares += (double) v * v;
                }
            }
            double perTensor = NDArrays.stack(norms).norm().getFloat();
            double norm = GradientClipping.globalNorm(grads);
            assertEquals(perTensor, norm, 1e-6 * perTensor);
            assertEquals(Math.sqrt(sumOfSquares), norm, 1e-6 * norm);
        }
    }

    @Test
    void clippingThroughTheModuleMultipliesEveryGradientByTheFp32Coefficients() {
        assertTrue(ScriptModules.usable(ScriptModules.FOREACH_MUL, Device.cpu()), "foreach_mul.pt does not load");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            double maxNorm = 0.5;
            float unscale = 1f / 3f; // no power of two: unscaled first, then clipped, as torch does
            List<NDArray> grads = randomGrads(manager, 4);
            List<float[]> before = new ArrayList<>();
            for (NDArray g : grads) {
                before.add(g.toFloatArray());
            }
            double norm = 7.25;
            GradientClipping.scale(grads, unscale, maxNorm, norm);
            float coef = (float) maxNorm / ((float) norm + 1e-6f); // torch's clip_coef, in FP32
            for (int i = 0; i < grads.size(); i++) {
                float[] want = before.get(i);
                for (int j = 0; j < want.length; j++) {
                    want[j] = want[j] * unscale * coef;
                }
                assertArrayEquals(want, grads.get(i).toFloatArray(), 0f, "gradient " + i);
            }
        }
    }

    private static List<NDArray> randomGrads(NDManager manager, long seed) {
        Random r = new Random(seed);
        List<NDArray> grads = new ArrayList<>();
        for (long[] shape : new long[][] {{3, 4}, {7}, {1000}, {1}, {16, 33}}) {
            float[] v = new float[(int) new Shape(shape).size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextGaussian() * 0.1);
            }
            grads.add(manager.create(v, new Shape(shape)));
        }
        return grads;
    }
}
