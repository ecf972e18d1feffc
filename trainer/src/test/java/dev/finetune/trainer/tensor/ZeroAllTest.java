package dev.finetune.trainer.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Ops.zeroAll assigns zero (through foreach_zero.pt): arrays full of NaN and infinities, which a multiply by 0
 * would leave NaN, come out all zeros, in place, whatever their dtype; so do gradients read back from their
 * parameter afterwards.
 */
class ZeroAllTest {

    @Test
    void zeroAllTurnsNaNAndInfinityFilledArraysIntoZerosInPlace() {
        assertTrue(ScriptModules.usable(ScriptModules.FOREACH_ZERO, Device.cpu()), "foreach_zero.pt does not load");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray nan = m.full(new Shape(4, 5), Float.NaN);
            NDArray inf = m.create(new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 3f});
            NDArray half = m.full(new Shape(7), Float.NaN).toType(DataType.FLOAT16, false);
            Ops.zeroAll(List.of(nan, inf, half));
            assertArrayEquals(new float[20], nan.toFloatArray(), 0f);
            assertArrayEquals(new float[4], inf.toFloatArray(), 0f);
            assertEquals(DataType.FLOAT16, half.getDataType());
            assertArrayEquals(new float[7], half.toType(DataType.FLOAT32, false).toFloatArray(), 0f);
        }
    }

    @Test
    void zeroAllZeroesTheGradientsTheParametersHold() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            GradMode.with(true, () -> {
                NDArray p = m.create(new float[] {1f, 2f, 3f});
                p.setRequiresGradient(true);
                NDArray out = p.mul(m.create(new float[] {Float.NaN, 1f, Float.POSITIVE_INFINITY}));
                Autograd.backward(out, m.ones(new Shape(3)));
                assertTrue(Float.isNaN(p.getGradient().toFloatArray()[0]), "a NaN gradient to zero");
                Ops.zeroAll(List.of(p.getGradient()));
                assertArrayEquals(new float[3], p.getGradient().toFloatArray(), 0f);
                return null;
            });
        }
    }
}
