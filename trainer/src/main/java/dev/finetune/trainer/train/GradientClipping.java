package dev.finetune.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.util.List;

/**
 * Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ (norm type 2): the norm of the per-tensor
 * norms, then every gradient multiplied in place by min(1, max_norm / (norm + 1e-6)). DJL's optClipGrad is a
 * per-element clamp instead (docs/djl.md).
 */
public final class GradientClipping {

    private GradientClipping() {
    }

    /** The global L2 norm of all gradients, in FP32 on their device, as torch computes it. */
    public static double globalNorm(List<NDArray> grads) {
        if (grads.isEmpty()) {
            return 0;
        }
        NDManager owner = grads.get(0).getManager();
        try (NDManager scope = owner.newSubManager()) {
            NDList norms = new NDList(grads.size());
            for (NDArray g : grads) {
                NDArray n = g.square().sum().sqrt(); // torch.linalg.vector_norm(g, 2)
                n.attach(scope);
                norms.add(n);
            }
            NDArray stacked = NDArrays.stack(norms);
            stacked.attach(scope);
            NDArray total = stacked.square().sum().sqrt();
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
        if (maxNorm > 0 && Double.isFinite(norm)) {
            // torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to 1, computed as FP32 tensors
            float coef = Math.min(1.0f, (float) maxNorm / ((float) norm + 1e-6f));
            for (NDArray g : grads) {
                g.muli(coef);
            }
        }
    }
}
