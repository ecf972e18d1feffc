package dev.finetune.trainer.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * One backward traversal from several roots (torch.autograd.backward(roots, upstream) through backward_roots.pt)
 * leaves in the leaves the gradients that one single-root pass per root, each over its own graph, accumulates.
 */
class AutogradTest {

    private static final Random RND = new Random(11);
    private static final float[] X = gaussian(5 * 3);
    private static final float[] W = gaussian(3 * 4);
    private static final float[] GA = gaussian(5 * 3);
    private static final float[] GB = gaussian(5 * 4);

    @Test
    void theDeviceCheckPassesOnTheCpuAndDrawsNoRandomNumbers() {
        // the check runs inside a layer's recompute, after the dropout generator was seeded for it
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Engine.getInstance().setRandomSeed(5);
            float[] plain = m.randomUniform(0, 1, new Shape(8)).toFloatArray();
            Engine.getInstance().setRandomSeed(5);
            Autograd.forgetChecks();
            assertTrue(Autograd.backwardFromRoots(m), "backward_roots.pt disagrees with the formula on the CPU");
            float[] afterCheck = m.randomUniform(0, 1, new Shape(8)).toFloatArray();
            assertArrayEquals(plain, afterCheck, 0f);
        }
    }

    @Test
    void oneBackwardFromTwoRootsGivesTheLeafGradientsOfTwoSingleRootPasses() {
        assertTrue(ScriptModules.usable(ScriptModules.BACKWARD_ROOTS, Device.cpu()), "backward_roots.pt does not load");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            GradMode.with(true, () -> {
                NDArray ga = m.create(GA, new Shape(5, 3));
                NDArray gb = m.create(GB, new Shape(5, 4));
                ga.setName("upstream a");

                NDArray x = leaf(m);
                NDArray w = weight(m);
                NDArray h = x.tanh(); // shared by both roots
                NDArray a = h.mul(2);
                NDArray b = h.matMul(w);
                Autograd.backward(List.of(a, b), List.of(ga, gb));
                float[] together = x.getGradient().toFloatArray();
                float[] weightGrad = w.getGradient().toFloatArray();
                assertEquals("upstream a", ga.getName(), "the arrays keep their names");

                NDArray x2 = leaf(m);
                NDArray w2 = weight(m);
                NDArray a2 = x2.tanh().mul(2);
                Autograd.backward(a2, ga);
                NDArray b2 = x2.tanh().matMul(w2);
                Autograd.backward(b2, gb);
                assertArrayEquals(x2.getGradient().toFloatArray(), together, 1e-6f);
                assertArrayEquals(w2.getGradient().toFloatArray(), weightGrad, 1e-6f);
                return null;
            });
        }
    }

    @Test
    void rootsAndUpstreamGradientsComeInPairs() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = m.zeros(new Shape(2));
            assertThrows(IllegalArgumentException.class, () -> Autograd.backward(List.of(a, a), List.of(a)));
        }
    }

    private static NDArray leaf(NDManager m) {
        NDArray x = m.create(X, new Shape(5, 3));
        x.setRequiresGradient(true);
        return x;
    }

    private static NDArray weight(NDManager m) {
        NDArray w = m.create(W, new Shape(3, 4));
        w.setRequiresGradient(true);
        return w;
    }

    private static float[] gaussian(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) RND.nextGaussian();
        }
        return v;
    }
}
