package dev.finetune.trainer.lora;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.finetune.trainer.tensor.Autograd;
import dev.finetune.trainer.tensor.GradMode;
import org.junit.jupiter.api.Test;

/**
 * LoraLinear.project (lora_project.pt: the frozen product accumulated into the LoRA branch's output) equals the
 * frozen projection plus LoraLinear.forward: output, the input's gradient and A's and B's gradients, with and
 * without bias, and with dropout when both draw from the same seed; also without autograd, before and after
 * autograd calls (TorchScript's executor keeps a plan per mode).
 */
class FusedProjectionTest {

    @Test
    void fusedProjectionEqualsFrozenProjectionPlusBranchWithGradients() {
        for (boolean bias : new boolean[] {false, true}) {
            for (float dropout : new float[] {0f, 0.3f}) {
                compare(bias, dropout);
            }
        }
    }

    private static void compare(boolean withBias, float dropout) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Engine.getInstance().setRandomSeed(11);
            NDArray w = m.randomNormal(new Shape(24, 16));
            NDArray bias = withBias ? m.randomNormal(new Shape(24)) : null;
            NDArray x0 = m.randomNormal(new Shape(2, 5, 16));
            LoraLinear pair =
                    new LoraLinear(m.randomNormal(new Shape(4, 16)), m.randomNormal(new Shape(24, 4)), 0.5f, dropout);
            pair.a.setRequiresGradient(true);
            pair.b.setRequiresGradient(true);
            String what = "bias " + withBias + ", dropout " + dropout;

            GradMode.with(
                    false,
                    () -> { // no autograd first: the executor's plan for that mode
                        NDArray fused = pair.project(x0, w, bias, false);
                        assertNotNull(fused, "lora_project.pt does not load");
                        close(
                                fused,
                                Linear.linear(x0, w, bias).singletonOrThrow().add(pair.forward(x0, false)),
                                what);
                        return null;
                    });
            float[][] fused = run(m, x0, pair, true, w, bias, dropout);
            float[][] plain = run(m, x0, pair, false, w, bias, dropout);
            for (int i = 0; i < fused.length; i++) {
                close(m.create(fused[i]), m.create(plain[i]), what + ", output/gradient " + i);
            }
            GradMode.with(
                    false,
                    () -> { // and again after autograd calls
                        close(
                                pair.project(x0, w, bias, false),
                                Linear.linear(x0, w, bias).singletonOrThrow().add(pair.forward(x0, false)),
                                what);
                        return null;
                    });
        }
    }

    /** Output, dx, dA, dB of one training forward and backward, fused or plain, from the same dropout seed. */
    private static float[][] run(
            NDManager m, NDArray x0, LoraLinear pair, boolean fusedPath, NDArray w, NDArray bias, float dropout) {
        return GradMode.with(true, () -> {
            NDArray x = x0.duplicate();
            x.setRequiresGradient(true);
            Engine.getInstance().setRandomSeed(5);
            NDArray y = fusedPath
                    ? pair.project(x, w, bias, true)
                    : Linear.linear(x, w, bias).singletonOrThrow().add(pair.forward(x, true));
            NDArray up = m.linspace(-1f, 1f, (int) y.size()).reshape(y.getShape());
            Autograd.backward(y, up);
            float[][] out = {
                y.toFloatArray(),
                x.getGradient().toFloatArray(),
                pair.a.getGradient().toFloatArray(),
                pair.b.getGradient().toFloatArray()
            };
            pair.a.getGradient().muli(0);
            pair.b.getGradient().muli(0);
            return out;
        });
    }

    private static void close(NDArray got, NDArray want, String what) {
        double scale = want.abs().max().getFloat() + 1e-6;
        double diff = got.sub(want).abs().max().getFloat();
        assertTrue(diff <= 1e-5 * scale, what + ": max |fused - plain| " + diff + " of " + scale);
    }
}
