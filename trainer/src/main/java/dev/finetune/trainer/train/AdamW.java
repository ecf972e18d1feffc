package dev.finetune.trainer.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.finetune.trainer.tensor.GradMode;
import dev.finetune.trainer.tensor.Ops;
import dev.finetune.trainer.tensor.ScriptModules;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * AdamW with exactly torch.optim.AdamW's single-tensor arithmetic (torch/optim/adam.py,
 * {@code _single_tensor_adam}, amsgrad off, maximize off), over FP32 NDArrays updated in place:
 * <pre>
 *   p  ← p · (1 − lr·wd)                          decoupled weight decay, before the update
 *   m  ← m + (1 − β1)·(g − m)                       torch's lerp_
 *   v  ← v·β2 + (1 − β2)·g·g
 *   p  ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)     ε outside the square root
 * </pre>
 * DJL's own Adam folds the bias correction into the learning rate and adds ε inside (docs/djl.md), which is
 * why this exists. The bias corrections are computed in double, as Python does.
 */
public final class AdamW implements AutoCloseable {

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private long step;
    private Boolean foreach; // one multi-tensor call (adamw_foreach.pt) per step; null until the first step

    /** torch's defaults are β = (0.9, 0.999), ε = 1e-8, wd = 0.01. State lives in {@code parent}'s child. */
    public AdamW(NDManager parent, List<NDArray> params, double beta1, double beta2, double eps, double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdamW betas must lie in [0, 1), got (" + beta1 + ", " + beta2 + ")");
        }
        if (!(eps > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException(
                    "AdamW needs eps > 0 and weight_decay >= 0, got eps=" + eps + " weight_decay=" + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.manager = parent.newSubManager();
        for (NDArray p : params) {
            if (p.getDataType() != DataType.FLOAT32) {
                throw new IllegalArgumentException(
                        "AdamW keeps FP32 master weights; parameter " + p.getName() + " is " + p.getDataType());
            }
            m.add(manager.zeros(p.getShape(), DataType.FLOAT32, p.getDevice()));
            v.add(manager.zeros(p.getShape(), DataType.FLOAT32, p.getDevice()));
        }
    }

    /** One update of every parameter with its gradient (same order as the constructor's list). */
    public void step(List<NDArray> params, List<NDArray> grads, double lr) {
        if (params.size() != m.size() || grads.size() != m.size()) {
            throw new IllegalArgumentException("AdamW was built for " + m.size() + " parameters, step got "
                    + params.size() + " parameters and " + grads.size() + " gradients");
        }
        step++;
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        double stepSize = lr / biasCorrection1;
        GradMode.off(() -> update(params, grads, lr, stepSize, biasCorrection2Sqrt));
    }

    private void update(
            List<NDArray> params, List<NDArray> grads, double lr, double stepSize, double biasCorrection2Sqrt) {
        Device device = params.isEmpty() ? null : params.get(0).getDevice();
        if (foreach == null) {
            foreach = device != null && ScriptModules.usable(ScriptModules.ADAMW_FOREACH, device);
        }
        if (foreach) {
            // one call for every tensor through torch's multi-tensor (_foreach) kernels, the same formula as below
            ScriptModules.run(
                    ScriptModules.ADAMW_FOREACH,
                    device,
                    Arrays.asList(params, grads, m, v),
                    lr,
                    beta1,
                    beta2,
                    eps,
                    weightDecay,
                    stepSize,
                    biasCorrection2Sqrt);
            return;
        }
        try (NDManager scope = manager.newSubManager()) {
            for (int i = 0; i < params.size(); i++) {
                NDArray p = params.get(i);
                NDArray g = grads.get(i);
                NDArray mi = m.get(i);
                NDArray vi = v.get(i);
                // every temporary of this update belongs to scope; the four arrays return to their owners after
                scope.tempAttachAll(p, g, mi, vi);
                p.muli((float) (1 - lr * weightDecay));
                mi.addi(g.sub(mi).muli((float) (1 - beta1)));
                vi.muli((float) beta2).addi(g.mul(g).muli((float) (1 - beta2)));
                NDArray denom = vi.sqrt().divi((float) biasCorrection2Sqrt).addi((float) eps);
                p.subi(mi.div(denom).muli((float) stepSize));
            }
        }
    }

    /** Updates tensor by tensor with NDArray ops (the fallback where the module does not load; tests compare). */
    AdamW perTensor() {
        foreach = false;
        return this;
    }

    /** Number of updates made so far (torch's state["step"]). */
    public long stepCount() {
        return step;
    }

    /** First moments, in parameter order (live arrays: copy before changing). */
    public List<NDArray> firstMoments() {
        return Collections.unmodifiableList(m);
    }

    /** Second moments, in parameter order. */
    public List<NDArray> secondMoments() {
        return Collections.unmodifiableList(v);
    }

    /** Restores the state a checkpoint saved (moments as float arrays in parameter order). */
    public void restore(long stepCount, List<float[]> firstMoments, List<float[]> secondMoments) {
        if (firstMoments.size() != m.size() || secondMoments.size() != v.size()) {
            throw new IllegalArgumentException("optimizer state holds " + firstMoments.size()
                    + " moments, the model has " + m.size() + " trainable tensors: the checkpoint is for another "
                    + "adapter layout (lora_r or lora_target_modules changed?)");
        }
        for (int i = 0; i < m.size(); i++) {
            Ops.assign(m.get(i), firstMoments.get(i));
            Ops.assign(v.get(i), secondMoments.get(i));
        }
        this.step = stepCount;
    }

    @Override
    public void close() {
        manager.close();
    }
}
