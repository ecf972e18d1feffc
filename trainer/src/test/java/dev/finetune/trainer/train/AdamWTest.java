package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.trainer.tensor.ScriptModules;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdamWTest {

    @Test
    void fourStepsWithChangingLearningRatesMatchTorchAdamW() throws Exception {
        assertTrue(ScriptModules.usable(ScriptModules.ADAMW_FOREACH, Device.cpu()), "adamw_foreach.pt does not load");
        fourStepsMatchTorch(false);
    }

    @Test
    void theTensorByTensorFallbackMatchesTorchAdamWToo() throws Exception {
        fourStepsMatchTorch(true);
    }

    private static void fourStepsMatchTorch(boolean perTensor) throws Exception {
        JsonNode g = OptimizerGoldens.load().get("adamw");
        try (NDManager manager = NDManager.newBaseManager()) {
            List<NDArray> params = new ArrayList<>();
            for (int i = 0; i < g.get("shapes").size(); i++) {
                params.add(manager.create(
                        OptimizerGoldens.floats(g.get("init").get(i)),
                        new Shape(OptimizerGoldens.shape(g.get("shapes").get(i)))));
            }
            try (AdamW adamw = new AdamW(manager, params, 0.9, 0.999, 1e-8, 0.01)) {
                if (perTensor) {
                    adamw.perTensor();
                }
                double maxDiff = 0;
                for (int k = 0; k < g.get("lrs").size(); k++) {
                    List<NDArray> grads = new ArrayList<>();
                    for (int i = 0; i < params.size(); i++) {
                        grads.add(manager.create(
                                OptimizerGoldens.floats(g.get("grads").get(k).get(i)),
                                params.get(i).getShape()));
                    }
                    adamw.step(params, grads, g.get("lrs").get(k).asDouble());
                    for (int i = 0; i < params.size(); i++) {
                        float[] want = OptimizerGoldens.floats(
                                g.get("after_each_step").get(k).get(i));
                        float[] got = params.get(i).toFloatArray();
                        for (int j = 0; j < want.length; j++) {
                            maxDiff = Math.max(maxDiff, Math.abs(want[j] - got[j]));
                        }
                    }
                }
                assertTrue(
                        maxDiff < 1e-7,
                        (perTensor ? "tensor by tensor" : "foreach") + ": max |torch - ours| over 4 steps = "
                                + maxDiff);
                assertEquals(4, adamw.stepCount());
            }
        }
    }

    @Test
    void aHandComputationOfTorchsFormulaAgreesForOneWeight() {
        // one weight, two steps, written out: decoupled decay first, bias-corrected moments, eps outside sqrt
        double p = 0.5, m = 0, v = 0, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
        double[] grads = {0.3, -0.2};
        double[] lrs = {0.01, 0.02};
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray param = manager.create(new float[] {0.5f});
            try (AdamW adamw = new AdamW(manager, List.of(param), b1, b2, eps, wd)) {
                for (int t = 1; t <= 2; t++) {
                    double gt = grads[t - 1], lr = lrs[t - 1];
                    p *= 1 - lr * wd;
                    m = b1 * m + (1 - b1) * gt;
                    v = b2 * v + (1 - b2) * gt * gt;
                    double mHat = m / (1 - Math.pow(b1, t));
                    double vHat = v / (1 - Math.pow(b2, t));
                    p -= lr * mHat / (Math.sqrt(vHat) + eps);
                    adamw.step(List.of(param), List.of(manager.create(new float[] {(float) gt})), lr);
                    assertEquals(p, param.getFloat(), 1e-7, "step " + t);
                }
            }
        }
    }

    @Test
    void stepsAParameterThatRequiresGradOnAThreadWhereGradModeIsOn() throws Exception {
        // torch starts every new thread with grad mode on; an in-place update of such a leaf is refused there
        // unless the optimizer switches autograd off itself
        float[] got = new float[1];
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(() -> {
            try (NDManager manager = NDManager.newBaseManager()) {
                JniUtils.setGradMode(true);
                NDArray param = manager.create(new float[] {0.5f});
                param.setRequiresGradient(true);
                try (AdamW adamw = new AdamW(manager, List.of(param), 0.9, 0.999, 1e-8, 0.0)) {
                    adamw.step(List.of(param), List.of(manager.create(new float[] {1f})), 0.1);
                }
                got[0] = param.getFloat();
                assertTrue(JniUtils.isGradMode(), "the thread's grad mode is restored");
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        t.start();
        t.join();
        if (failure[0] != null) {
            throw new AssertionError("AdamW failed with grad mode on", failure[0]);
        }
        assertEquals(0.4f, got[0], 1e-6f, "first Adam step moves the weight by lr against the gradient's sign");
    }
}
