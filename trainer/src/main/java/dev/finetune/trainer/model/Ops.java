package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/**
 * Small tensor functions of the decoder that must keep autograd across dtypes. DJL's toType cuts the graph
 * (FACTS §10), so up-casts add a one-element FP32 zero (type promotion) and down-casts copy into a tensor of
 * the target dtype through set() (PyTorch copy_, differentiable). Every result lands in the manager of the
 * first argument.
 */
public final class Ops {
    private static final NDIndex ALL = new NDIndex("...");

    private Ops() {
    }

    /** x as FP32, keeping autograd. */
    public static NDArray toFloat32(NDArray x) {
        if (x.getDataType() == DataType.FLOAT32) {
            return x;
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
        NDArray y = x.getManager().zeros(x.getShape(), type, x.getDevice());
        y.set(ALL, x);
        return y;
    }

    /**
     * RMSNorm over the last axis with FP32 statistics (FP16 statistics overflow in backward, FACTS §10):
     * x / sqrt(mean(x²) + eps) · weight, as transformers' LlamaRMSNorm. x any float dtype, weight FP32 [D];
     * returns FP32.
     */
    public static NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
        NDArray x32 = toFloat32(x);
        NDArray variance = x32.mul(x32).mean(new int[] {-1}, true); // [..., 1]
        return x32.mul(pow(add(variance, eps), -0.5)).mul(weight);
    }

    // Scalars inside the autograd graph. DJL's x.mul(2f) and friends wrap the scalar in a direct buffer that
    // nothing keeps alive after the call, yet autograd saves that tensor for backward (MulBackward, PowBackward):
    // once the JVM collects the buffer, backward reads freed, reused memory (garbage or NaN gradients after a
    // GC). A 0-dim tensor from PyTorch's allocator is reference-counted by the graph instead.

    /** x · s, safe to backpropagate through. */
    public static NDArray mul(NDArray x, double s) {
        try (NDArray scalar = scalarLike(x, s)) {
            return x.mul(scalar);
        }
    }

    /** x + s, safe to backpropagate through. */
    public static NDArray add(NDArray x, double s) {
        try (NDArray scalar = scalarLike(x, s)) {
            return x.add(scalar);
        }
    }

    /** x ^ e, safe to backpropagate through. */
    public static NDArray pow(NDArray x, double e) {
        try (NDArray scalar = scalarLike(x, e)) {
            return x.pow(scalar);
        }
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

    /** A 0-dim FP32 tensor in x's manager and on its device; type promotion keeps x's dtype (FP16 stays FP16). */
    private static NDArray scalarLike(NDArray x, double v) {
        return x.getManager().full(new Shape(), (float) v, DataType.FLOAT32, x.getDevice());
    }

    /** silu(x) = x·sigmoid(x). */
    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /** RoPE on [B, H, T, Dh] with cos/sin [B, 1, T, Dh]: x·cos + rotate_half(x)·sin, rotate_half = [-x₂, x₁]. */
    public static NDArray rope(NDArray x, NDArray cos, NDArray sin) {
        long half = x.getShape().get(3) / 2;
        NDArray x1 = x.get(new NDIndex("..., :" + half));
        NDArray x2 = x.get(new NDIndex("..., " + half + ":"));
        NDArray rotated = x2.neg().concat(x1, -1);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
