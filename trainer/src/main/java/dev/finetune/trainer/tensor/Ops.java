package dev.finetune.trainer.tensor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BinaryOperator;
import java.util.function.Function;

/**
 * Small tensor functions of the decoder that must keep autograd across dtypes. DJL's toType cuts the graph
 * (docs/djl.md), so up-casts add a one-element FP32 zero (type promotion) and down-casts copy into a tensor of
 * the target dtype through set() (PyTorch copy_, differentiable). Every result lands in the manager of the
 * first argument.
 */
public final class Ops {
    private static final NDIndex ALL = new NDIndex("...");
    /** Constants kept per value and device; past this many, further values get a tensor per use. */
    private static final int MAX_CONSTANTS = 256;

    private static final Map<String, NDArray> CONSTANTS = new ConcurrentHashMap<>();
    private static final Map<String, NDManager> CONSTANT_OWNERS = new ConcurrentHashMap<>();

    private Ops() {}

    /** x as FP32, keeping autograd. */
    public static NDArray toFloat32(NDArray x) {
        if (x.getDataType() == DataType.FLOAT32) {
            return x;
        }
        NDArray zero = constant(new Shape(1), 0f, x.getDevice()); // [1], not 0-dim: it must promote x to FP32
        if (zero != null) {
            return x.add(zero);
        }
        return x.add(x.getManager().zeros(new Shape(1), DataType.FLOAT32, x.getDevice()));
    }

    /** x as {@code type} (FLOAT32 or FLOAT16), keeping autograd. */
    public static NDArray cast(NDArray x, DataType type) {
        if (x.getDataType() == type) {
            return x;
        }
        if (type == DataType.FLOAT32) {
            return toFloat32(x);
        }
        NDArray y = x.getManager().create(x.getShape(), type, x.getDevice()); // uninitialized: copy_ fills all of it
        y.set(ALL, x);
        return y;
    }

    /**
     * RMSNorm over the last axis with FP32 statistics (FP16 statistics overflow in backward, docs/djl.md):
     * x / sqrt(mean(x²) + eps) · weight, as transformers' LlamaRMSNorm. x any float dtype, weight FP32 [D];
     * returns FP32.
     */
    public static NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
        NDArray x32 = toFloat32(x);
        NDArray variance = x32.mul(x32).mean(new int[] {-1}, true); // [..., 1]
        return x32.mul(pow(add(variance, eps), -0.5)).mul(weight);
    }

    /**
     * {@link #rmsNorm} cast to {@code type}, in one TorchScript call where {@code rms_norm.pt} loads: torch.rms_norm,
     * which CUDA runs as one fused kernel forward and one backward where the DJL ops take about six elementwise
     * passes over FP32 activations each way. eps and the target dtype go in as host tensors (no device sync).
     */
    public static NDArray rmsNormCast(NDArray x, NDArray weight, double eps, DataType type) {
        if (ScriptModules.usable(ScriptModules.RMS_NORM, x.getDevice())) {
            return ScriptModules.call(ScriptModules.RMS_NORM, x, weight, hostScalars(eps), hostDtype(type));
        }
        return cast(rmsNorm(x, weight, eps), type);
    }

    private static final Map<String, NDArray> HOST = new ConcurrentHashMap<>();

    /**
     * A host FP64 tensor of {@code values}, kept for the life of the process: numbers for a TorchScript module
     * that also takes autograd tensors (reading a host tensor does not wait for the device).
     */
    public static NDArray hostScalars(double... values) {
        return host("f64 " + Arrays.toString(values), m -> m.create(values));
    }

    /** A 0-dim host tensor of {@code type}: tells a TorchScript module the dtype to produce. */
    public static NDArray hostDtype(DataType type) {
        return host("dtype " + type, m -> m.zeros(new Shape(), type));
    }

    /** An empty host tensor: an absent optional tensor argument of a TorchScript module. */
    public static NDArray hostEmpty() {
        return host("empty", m -> m.zeros(new Shape(0), DataType.FLOAT32));
    }

    private static NDArray host(String key, Function<NDManager, NDArray> make) {
        return HOST.computeIfAbsent(
                key,
                k -> make.apply(CONSTANT_OWNERS.computeIfAbsent(
                        Device.cpu().toString(), d -> NDManager.newBaseManager(Device.cpu()))));
    }

    // Scalars inside the autograd graph. DJL's x.mul(2f) and friends wrap the scalar in a direct buffer that
    // nothing keeps alive after the call, yet autograd saves that tensor for backward (MulBackward, PowBackward):
    // once the JVM collects the buffer, backward reads freed, reused memory (garbage or NaN gradients after a
    // GC). A 0-dim tensor from PyTorch's allocator is reference-counted by the graph instead. The model's scalars
    // are a handful of constants (eps, -0.5, LoRA scaling, 1/√Dh), so each is made once per device and kept: on a
    // GPU a fresh one is a fill kernel and JNI calls at every use, and a step issues hundreds of them.

    /** x · s, safe to backpropagate through. */
    public static NDArray mul(NDArray x, double s) {
        return withScalar(x, s, NDArray::mul);
    }

    /** x + s, safe to backpropagate through. */
    public static NDArray add(NDArray x, double s) {
        return withScalar(x, s, NDArray::add);
    }

    /** x ^ e, safe to backpropagate through. */
    public static NDArray pow(NDArray x, double e) {
        return withScalar(x, e, NDArray::pow);
    }

    /** op(x, v) with v a 0-dim FP32 tensor on x's device; type promotion keeps x's dtype (FP16 stays FP16). */
    private static NDArray withScalar(NDArray x, double v, BinaryOperator<NDArray> op) {
        NDArray kept = constant(new Shape(), (float) v, x.getDevice());
        if (kept != null) {
            return op.apply(x, kept);
        }
        try (NDArray scalar = x.getManager().full(new Shape(), (float) v, DataType.FLOAT32, x.getDevice())) {
            return op.apply(x, scalar);
        }
    }

    /** A PyTorch-owned FP32 constant kept for the life of the process, or null once MAX_CONSTANTS exist. */
    private static NDArray constant(Shape shape, float v, Device device) {
        String key = device + " " + shape + " " + Float.floatToIntBits(v);
        NDArray c = CONSTANTS.get(key);
        if (c != null || CONSTANTS.size() >= MAX_CONSTANTS) {
            return c;
        }
        return CONSTANTS.computeIfAbsent(
                key,
                k -> CONSTANT_OWNERS
                        .computeIfAbsent(device.toString(), d -> NDManager.newBaseManager(device))
                        .full(shape, v, DataType.FLOAT32, device));
    }

    /**
     * Copies {@code values} into {@code target}'s own storage (any float dtype, any device), without autograd.
     * NDArray.set(float[]) would instead re-point target at a direct buffer that only this Java wrapper keeps
     * alive, which dangles wherever the tensor outlives the wrapper (a gradient, a tensor a graph saved).
     */
    public static void assign(NDArray target, float[] values) {
        if (values.length != target.size()) {
            throw new IllegalArgumentException(values.length + " values for a tensor of shape " + target.getShape());
        }
        GradMode.off(() -> {
            try (NDManager scope = target.getManager().newSubManager(target.getDevice());
                    NDArray source = scope.create(values, target.getShape())) {
                target.set(ALL, source);
            }
        });
    }

    /**
     * Sets every element of {@code x} (FP32, any device) to 0 in place, without autograd: a copy from a kept
     * device constant, where {@code set(index, 0f)} would first copy a fresh scalar from the host.
     */
    public static void zero(NDArray x) {
        NDArray z = constant(new Shape(), 0f, x.getDevice());
        if (z == null) {
            x.set(ALL, 0f);
            return;
        }
        GradMode.off(() -> x.set(ALL, z));
    }

    /** {@link #zero} for every array of the list: one multi-tensor call where the module loads. */
    public static void zeroAll(List<NDArray> xs) {
        if (xs.isEmpty()) {
            return;
        }
        if (ScriptModules.usable(ScriptModules.FOREACH_ZERO, xs.get(0).getDevice())) {
            ScriptModules.run(ScriptModules.FOREACH_ZERO, xs.get(0).getDevice(), Collections.singletonList(xs));
            return;
        }
        for (NDArray x : xs) {
            zero(x);
        }
    }

    /** silu(x) = x·sigmoid(x). */
    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /**
     * RoPE on [B, H, T, Dh] with cos/sin [B, 1, T, Dh]: x·cos + rotate_half(x)·sin, rotate_half = [-x₂, x₁],
     * with rotate_half as a product with a kept [Dh, Dh] matrix of ±1 (exact: one non-zero term per output):
     * four ops forward and one in backward, where slices, a negation and a concatenation took seven and their
     * backward as many.
     */
    public static NDArray rope(NDArray x, NDArray cos, NDArray sin) {
        NDArray rotated = x.matMul(rotateHalf(x.getShape().get(3), x.getDataType(), x.getDevice()));
        return x.mul(cos).add(rotated.mul(sin));
    }

    private static final Map<String, NDArray> ROTATIONS = new ConcurrentHashMap<>();

    /** R [Dh, Dh] in {@code type} with x·R = rotate_half(x), made once per size, dtype and device and kept. */
    static NDArray rotateHalf(long dh, DataType type, Device device) {
        return ROTATIONS.computeIfAbsent(dh + " " + type + " " + device, k -> {
            int n = Math.toIntExact(dh);
            int half = n / 2;
            float[] r = new float[n * n]; // row i, column j: out[j] = Σ_i x[i]·R[i][j]
            for (int j = 0; j < half; j++) {
                r[(j + half) * n + j] = -1f; // out[j] = -x[j + half]
                r[j * n + j + half] = 1f; // out[j + half] = x[j]
            }
            NDArray m = CONSTANT_OWNERS
                    .computeIfAbsent(device.toString(), d -> NDManager.newBaseManager(device))
                    .zeros(new Shape(n, n), type, device);
            assign(m, r); // PyTorch-owned storage: autograd saves this matrix for backward
            return m;
        });
    }
}
