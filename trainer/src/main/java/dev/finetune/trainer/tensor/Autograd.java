package dev.finetune.trainer.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Backward passes DJL's API has no call for: torch.autograd.backward(output, upstream) with an upstream gradient
 * of output's shape, so a graph can be cut where the caller likes (a layer recomputed from its saved input, a
 * chunk of the loss) and the gradient injected at the cut. DJL's NDArray.backward() only starts from a scalar
 * with gradient 1.
 */
public final class Autograd {
    private Autograd() {}

    /**
     * Backpropagates {@code upstream} (output's shape and dtype) from {@code output} into the gradients of the
     * leaves that require them, accumulating; the graph is freed afterwards.
     */
    public static void backward(NDArray output, NDArray upstream) {
        JniUtils.backward((PtNDArray) output, (PtNDArray) upstream, false, false);
    }
}
