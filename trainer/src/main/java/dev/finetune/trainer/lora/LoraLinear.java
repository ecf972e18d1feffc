package dev.finetune.trainer.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import dev.finetune.trainer.tensor.GradMode;
import dev.finetune.trainer.tensor.Ops;
import dev.finetune.trainer.tensor.ScriptModules;

/**
 * One LoRA pair on a frozen linear layer (Hu et al. 2021, https://arxiv.org/abs/2106.09685):
 * y = W₀x + b + scaling · B(A(dropout(x))), with A [r, in] and B [out, r] FP32 master tensors. {@link #forward}
 * is the LoRA branch, the whole of it: the model adds its result to the frozen projection's output.
 */
public final class LoraLinear {
    public final NDArray a; // [r, in] fp32
    public final NDArray b; // [out, r] fp32
    public final float scaling;
    public final float dropout;

    public LoraLinear(NDArray a, NDArray b, float scaling, float dropout) {
        this.a = a;
        this.b = b;
        this.scaling = scaling;
        this.dropout = dropout;
    }

    /**
     * scaling · (dropout(x) Aᵀ) Bᵀ, the LoRA branch alone: x [..., in] in the compute dtype → [..., out] in x's
     * dtype and manager. A and B are cast to x's dtype inside the graph (FP32 uses the masters themselves), so
     * their FP32 gradients accumulate through the cast. Dropout only when {@code training} and p > 0.
     */
    public NDArray forward(NDArray x, boolean training) {
        DataType type = x.getDataType();
        NDArray castA = Ops.cast(a, type);
        NDArray castB = Ops.cast(b, type);
        if (castA != a) { // the casts were made in the masters' manager: hand them to the call's scope
            castA.attach(x.getManager());
            castB.attach(x.getManager());
        }
        NDArray in = training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
        NDArray low = Linear.linear(in, castA).singletonOrThrow(); // [..., r]
        // scaled in the rank-r middle, not on the [..., out] result as peft writes it: the same product, but one
        // elementwise pass over r columns instead of out (7 % of a 7B step on an H200)
        return Linear.linear(Ops.mul(low, scaling), castB).singletonOrThrow(); // [..., out]
    }

    /**
     * x Wᵀ + b + {@link #forward}(x) in one TorchScript call ({@code lora_project.pt}) where it loads: the frozen
     * product accumulates into the branch's output inside the matrix multiply, one pass over [..., out] fewer than
     * adding the two. The same dropout draws as {@link #forward}. Null where the module does not load.
     */
    private NDArray[] detached; // A and B without autograd, sharing their storage (optimizer updates show)

    private final NDArray[] params = new NDArray[2]; // the module's [scaling, dropout p], per training flag

    /** [scaling, dropout p] as the module takes them, made once per flag (not per call). */
    private NDArray params(boolean training) {
        int i = training ? 1 : 0;
        if (params[i] == null) {
            params[i] = Ops.hostScalars(scaling, training ? dropout : 0);
        }
        return params[i];
    }

    /**
     * A and B as views that do not require gradients, for calls without autograd: TorchScript's executor would
     * otherwise take its differentiable plan for the masters and try to save inference-mode inputs for a
     * backward that never comes.
     */
    private NDArray[] detached() {
        if (detached == null) {
            detached = new NDArray[] {a.stopGradient(), b.stopGradient()};
        }
        return detached;
    }

    public NDArray project(NDArray x, NDArray weight, NDArray bias, boolean training) {
        if (!ScriptModules.usable(ScriptModules.LORA_PROJECT, x.getDevice())) {
            return null;
        }
        return ScriptModules.call(
                ScriptModules.LORA_PROJECT,
                x,
                weight,
                bias == null ? Ops.hostEmpty() : bias,
                GradMode.isOn() ? a : detached()[0],
                GradMode.isOn() ? b : detached()[1],
                params(training));
    }
}
