package dev.finetune.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.tensor.ScriptModules;
import java.util.Arrays;
import java.util.List;

/**
 * Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ (norm type 2): the norm of the per-tensor
 * norms, then every gradient multiplied in place by min(1, max_norm / (norm + 1e-6)). DJL's optClipGrad is a
 * per-element clamp instead (docs/djl.md).
 */
public final class GradientClipping {

    private GradientClipping() {}

    /**
     * The global L2 norm of all gradients, in FP32 on their device, as torch computes it: the norm of the
     * per-tensor norms (one norm op per tensor, one for the stack of them, one read back).
     */
    public static double globalNorm(List<NDArray> grads) {
        if (grads.isEmpty()) {
            return 0;
        }
        NDManager owner = grads.get(0).getManager();
        if (ScriptModules.usable(ScriptModules.GLOBAL_NORM, owner.getDevice())) {
            // one call: torch's multi-tensor norm kernels instead of a norm op per tensor
            try (NDManager scope = owner.newSubManager();
                    NDArray total = ScriptModules.evaluate(ScriptModules.GLOBAL_NORM, scope, Arrays.asList(grads))) {
                return total.getFloat();
            }
        }
        try (NDManager scope = owner.newSubManager()) {
            NDList norms = new NDList(grads.size());
            for (NDArray g : grads) {
                NDArray n = g.norm(); // torch.linalg.vector_norm(g, 2)
                n.attach(scope);
                norms.add(n);
            }
            NDArray stacked = NDArrays.stack(norms);
            stacked.attach(scope);
            NDArray total = stacked.norm();
            total.attach(scope);
            return total.getFloat();
        }
    }

    /**
     * Clips in place when {@code maxNorm > 0} and returns the norm before clipping (what the logs report).
     * A non-finite norm leaves the gradients alone; the caller skips the step.
     */
    public static double clip(List<NDArray> grads, double maxNorm) {
        double norm = globalNorm(grads);
        scale(grads, maxNorm, norm);
        return norm;
    }

    /** Clips in place given the already computed global {@code norm}. */
    public static void scale(List<NDArray> grads, double maxNorm, double norm) {
        scale(grads, 1.0, maxNorm, norm);
    }

    /**
     * Multiplies the gradients in place by {@code unscale} (1 / the loss scale), then clips them to
     * {@code maxNorm} given the global {@code norm} of the unscaled gradients. One multiply per tensor by one
     * device scalar made here: a Java number would become a fresh device tensor (a host-to-device copy) per
     * tensor. When {@code unscale} is a power of two the single product is bit for bit the two of torch (unscale,
     * then clip); otherwise the two products run one after the other.
     */
    public static void scale(List<NDArray> grads, double unscale, double maxNorm, double norm) {
        float coef = 1.0f;
        if (maxNorm > 0 && Double.isFinite(norm)) {
            // torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to 1, computed as FP32 tensors
            coef = Math.min(1.0f, (float) maxNorm / ((float) norm + 1e-6f));
        }
        float inv = (float) unscale;
        if (inv == 1.0f && coef == 1.0f || grads.isEmpty()) {
            return;
        }
        NDArray first = grads.get(0);
        try (NDManager scope = first.getManager().newSubManager(first.getDevice())) {
            if (inv != 1.0f && coef != 1.0f && !isPowerOfTwo(inv)) {
                multiply(grads, scope, inv);
                inv = 1.0f;
            }
            multiply(grads, scope, inv * coef);
        }
    }

    private static void multiply(List<NDArray> grads, NDManager scope, float factor) {
        if (ScriptModules.usable(ScriptModules.FOREACH_MUL, scope.getDevice())) {
            // one call through torch's multi-tensor kernels; the float factor is exact as a double and back
            ScriptModules.run(ScriptModules.FOREACH_MUL, scope.getDevice(), Arrays.asList(grads), factor);
            return;
        }
        NDArray f = scope.full(new Shape(), factor, DataType.FLOAT32, scope.getDevice());
        for (NDArray g : grads) {
            g.muli(f);
        }
    }

    static boolean isPowerOfTwo(float v) {
        return v > 0
                && Float.isFinite(v)
                && v == Math.scalb(1.0f, Math.getExponent(v))
                && Math.getExponent(v) >= Float.MIN_EXPONENT;
    }
}
