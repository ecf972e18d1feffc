package dev.finetune.trainer.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * Ops.rmsNormCast through rms_norm.pt (torch.rms_norm) equals the DJL ops it replaces, cast(rmsNorm(x)): values
 * and the input's gradient, into FP32 and FP16, from FP32 and FP16 inputs.
 */
class RmsNormModuleTest {

    @Test
    void moduleEqualsTheOpsInValueAndGradient() {
        assertTrue(ScriptModules.usable(ScriptModules.RMS_NORM, Device.cpu()), "rms_norm.pt does not load");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray x0 = m.randomNormal(new Shape(3, 7, 32)).mul(3);
            NDArray weight = m.randomNormal(new Shape(32));
            for (DataType in : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
                for (DataType out : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
                    float[][] module = run(m, x0.toType(in, false), weight, out, true);
                    float[][] ops = run(m, x0.toType(in, false), weight, out, false);
                    double tol = in == DataType.FLOAT16 || out == DataType.FLOAT16 ? 2e-3 : 1e-5;
                    for (int i = 0; i < 2; i++) {
                        double worst = 0;
                        for (int k = 0; k < module[i].length; k++) {
                            worst = Math.max(worst, Math.abs(module[i][k] - ops[i][k]) / (Math.abs(ops[i][k]) + 1));
                        }
                        assertTrue(worst <= tol, in + " -> " + out + (i == 0 ? " values" : " gradient") + ": " + worst);
                    }
                }
            }
        }
    }

    private static float[][] run(NDManager m, NDArray x0, NDArray weight, DataType out, boolean module) {
        return GradMode.with(true, () -> {
            NDArray x = x0.duplicate();
            x.setRequiresGradient(true);
            NDArray y = module ? Ops.rmsNormCast(x, weight, 1e-6, out) : Ops.cast(Ops.rmsNorm(x, weight, 1e-6), out);
            assertEquals(out, y.getDataType());
            Autograd.backward(
                    y, m.linspace(-1f, 1f, (int) y.size()).reshape(y.getShape()).toType(out, false));
            return new float[][] {
                y.toType(DataType.FLOAT32, false).toFloatArray(),
                x.getGradient().toType(DataType.FLOAT32, false).toFloatArray()
            };
        });
    }
}
