package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;
import dev.finetune.trainer.model.PhaseObserver.Phase;
import dev.finetune.trainer.model.PhaseObserver.Span;
import dev.finetune.trainer.tensor.Autograd;
import dev.finetune.trainer.tensor.GradMode;
import dev.finetune.trainer.tensor.Ops;
import dev.finetune.trainer.tensor.ScriptModules;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One pre-norm decoder layer (transformers' LlamaDecoderLayer; Qwen2 adds q/k/v bias, Qwen3 q/k RMSNorm per
 * head, Mistral a sliding window): h + attn(norm(h)), then h + mlp(norm(h)). The forward and its
 * recompute-and-backward sit side by side (llm.c style) because training recomputes each layer from its
 * saved input.
 *
 * <p>Letters: B batch, T query tokens, S key tokens (T, or cache + T), D hidden, H query heads, Hkv KV heads,
 * G = H/Hkv, Dh head dim, F MLP width, r LoRA rank. The residual stream h is FP32; projections run in the
 * compute dtype (FP16 on GPU, FP32 on CPU); norms and softmax in FP32.
 */
public final class DecoderLayer {
    private final ModelConfig c;
    private final int index;
    final LayerWeights w;

    DecoderLayer(ModelConfig config, int index, LayerWeights weights) {
        this.c = config;
        this.index = index;
        this.w = weights;
    }

    /** The frozen weights (for merging an adapter into them, and for tests). */
    public LayerWeights weights() {
        return w;
    }

    public int index() {
        return index;
    }

    /** h [B, T, D] fp32 → [B, T, D] fp32, every intermediate in h's manager; {@code adapter} may be null. */
    NDArray forward(NDArray h, LayerContext ctx, ProjectionAdapter adapter) {
        NDArray[] dense = materialize(h, ctx);
        NDArray h1 = attentionBlock(h, dense, ctx, adapter);
        NDArray act = mlpActivation(h1, dense, ctx, adapter);
        NDArray down = project(act, dense, Projection.DOWN_PROJ, adapter, ctx); // [B, T, D]
        return h1.add(down);
    }

    /** The seven base weights in the compute dtype, at once (one dequantization for all of them with NF4). */
    private NDArray[] materialize(NDArray h, LayerContext ctx) {
        Span dequantize = ctx.phases.begin(Phase.DEQUANTIZE);
        NDArray[] dense = w.materialize(h.getManager());
        dequantize.end(dense[dense.length - 1]);
        return dense;
    }

    /** h + o(attention(norm(h))): [B, T, D] fp32. */
    private NDArray attentionBlock(NDArray h, NDArray[] dense, LayerContext ctx, ProjectionAdapter adapter) {
        long b = h.getShape().get(0);
        long t = h.getShape().get(1);
        NDArray x = Ops.rmsNormCast(h, w.inputLayernorm, c.rmsNormEps, ctx.computeType); // [B, T, D]
        NDArray q = project(x, dense, Projection.Q_PROJ, adapter, ctx).reshape(b, t, c.numHeads, c.headDim);
        NDArray k = project(x, dense, Projection.K_PROJ, adapter, ctx).reshape(b, t, c.numKvHeads, c.headDim);
        NDArray v = project(x, dense, Projection.V_PROJ, adapter, ctx).reshape(b, t, c.numKvHeads, c.headDim);
        if (c.qkNorm) {
            q = Ops.rmsNormCast(q, w.qNorm, c.rmsNormEps, ctx.computeType);
            k = Ops.rmsNormCast(k, w.kNorm, c.rmsNormEps, ctx.computeType);
        }
        q = Ops.rope(q.transpose(0, 2, 1, 3), ctx.cos, ctx.sin); // [B, H, T, Dh]
        k = Ops.rope(k.transpose(0, 2, 1, 3), ctx.cos, ctx.sin); // [B, Hkv, T, Dh]
        v = v.transpose(0, 2, 1, 3); // [B, Hkv, T, Dh]
        if (ctx.cache != null) {
            NDArray[] kv = ctx.cache.append(index, k, v); // [B, Hkv, S, Dh]
            k = kv[0];
            v = kv[1];
        }
        Span attention = ctx.phases.begin(Phase.ATTENTION);
        boolean sliding = c.isSliding(index);
        NDArray heads; // [B, H, T, Dh]
        if (ctx.kernel == AttentionKernel.EAGER) {
            heads = eagerAttention(q, k, v, ctx.mask(sliding), ctx.computeType);
        } else if (ctx.causal && !sliding && ScriptModules.usable(ScriptModules.SDPA_CAUSAL, q.getDevice())) {
            heads = SdpaAttention.attendCausal(q, k, v);
        } else if (!sliding && ctx.documentsKernel(q)) {
            heads = SdpaAttention.attendDocuments(q, k, v, ctx.documents());
        } else {
            heads = SdpaAttention.attend(q, k, v, ctx.sdpaMask(sliding));
        }
        NDArray attn = heads.transpose(0, 2, 1, 3).reshape(b, t, (long) c.numHeads * c.headDim); // [B, T, H·Dh]
        attention.end(attn);
        NDArray o = project(attn, dense, Projection.O_PROJ, adapter, ctx); // [B, T, D]
        return h.add(o); // FP32 + compute dtype promotes to FP32 in one pass, autograd included
    }

    /** silu(gate(x)) · up(x) with x = norm(h1): the down projection's input, [B, T, F] in the compute dtype. */
    private NDArray mlpActivation(NDArray h1, NDArray[] dense, LayerContext ctx, ProjectionAdapter adapter) {
        NDArray x = Ops.rmsNormCast(h1, w.postAttentionLayernorm, c.rmsNormEps, ctx.computeType);
        NDArray gate = project(x, dense, Projection.GATE_PROJ, adapter, ctx); // [B, T, F]
        NDArray up = project(x, dense, Projection.UP_PROJ, adapter, ctx); // [B, T, F]
        return ctx.kernel == AttentionKernel.SDPA
                ? ScriptModules.call(ScriptModules.SILU_MUL, gate, up) // one kernel fewer, less saved for backward
                : Ops.silu(gate).mul(up);
    }

    /**
     * softmax(q kᵀ / √Dh + mask) v from DJL ops with an FP32 softmax; q [B, H, T, Dh], k and v [B, Hkv, S, Dh],
     * mask [B, 1, 1, T, S] FP32 → [B, H, T, Dh]. Query heads are grouped [B, Hkv, G, T, Dh] so k and v are
     * broadcast instead of copied.
     */
    private NDArray eagerAttention(NDArray q, NDArray k, NDArray v, NDArray mask, DataType type) {
        long b = q.getShape().get(0);
        long t = q.getShape().get(2);
        long s = k.getShape().get(2);
        int g = c.groupSize();
        NDArray q5 = q.reshape(b, c.numKvHeads, g, t, c.headDim); // [B, Hkv, G, T, Dh]
        NDArray kT = k.reshape(b, c.numKvHeads, 1, s, c.headDim).transpose(0, 1, 2, 4, 3); // [B, Hkv, 1, Dh, S]
        NDArray scores = Ops.mul(q5.matMul(kT), 1.0 / Math.sqrt(c.headDim)); // [B, Hkv, G, T, S]
        NDArray probs = Ops.toFloat32(scores).add(mask).softmax(-1); // fp32
        return Ops.cast(probs, type)
                .matMul(v.reshape(b, c.numKvHeads, 1, s, c.headDim)) // [B, Hkv, G, T, Dh]
                .reshape(b, c.numHeads, t, c.headDim);
    }

    /**
     * Recomputes this layer from its saved input with gradients on, injects the upstream gradient
     * dOutput [B, T, D] fp32 (torch.autograd.backward(out, dOutput), docs/djl.md), and returns dInput
     * [B, T, D] fp32. The adapter's gradients accumulate into its tensors. Everything but dInput stays in
     * {@code scope}.
     *
     * <p>The down projection's output is never needed for the backward, only the gradient of its input,
     * dOutput·W_down (what Linear's backward computes), so where a backward can start from several tensors at
     * once the recompute stops at the down projection's input: one [B·T, F] × [F, D] matmul less per layer and
     * step, the largest of the seven. The roots are then the residual h1 (upstream dOutput), the down
     * projection's input (dOutput·W_down) and the adapter's delta on it (dOutput in the compute dtype).
     */
    NDArray recomputeBackward(
            NDManager scope, NDArray input, NDArray dOutput, LayerContext ctx, ProjectionAdapter adapter) {
        NDArray x = input.duplicate(); // a fresh leaf: duplicate runs without grad (docs/djl.md)
        x.attach(scope);
        boolean roots = Autograd.backwardFromRoots(scope);
        GradMode.with(true, () -> {
            x.setRequiresGradient(true);
            if (!roots) {
                NDArray out = forward(x, ctx, adapter);
                Span backward = ctx.phases.begin(Phase.BACKWARD);
                Autograd.backward(out, dOutput);
                backward.end(ctx.phases.usesResults() ? x.getGradient() : null);
                return null;
            }
            NDArray[] dense = materialize(x, ctx);
            NDArray h1 = attentionBlock(x, dense, ctx, adapter);
            NDArray act = mlpActivation(h1, dense, ctx, adapter);
            NDArray delta = adapter == null ? null : adapter.delta(index, Projection.DOWN_PROJ, act, ctx.training);
            Span backward = ctx.phases.begin(Phase.BACKWARD);
            NDArray upstream = Ops.cast(dOutput, ctx.computeType); // what h1 + down passes back to down
            NDArray dAct = GradMode.with(false, () -> upstream.matMul(dense[Projection.DOWN_PROJ.ordinal()]));
            dAct.attach(scope); // both freed with the layer's scope, not kept to the step's end
            if (upstream != dOutput) {
                upstream.attach(scope);
            }
            List<NDArray> from = new ArrayList<>(Arrays.asList(h1, act));
            List<NDArray> grads = new ArrayList<>(Arrays.asList(dOutput, dAct));
            if (delta != null) {
                from.add(delta);
                grads.add(upstream);
            }
            Autograd.backward(from, grads);
            backward.end(ctx.phases.usesResults() ? x.getGradient() : null);
            return null;
        });
        return x.getGradient();
    }

    /**
     * x Wᵀ + b + the adapter's delta(x), in the compute dtype; {@code dense} holds the materialized base weights
     * by {@link Projection#ordinal()}.
     */
    private NDArray project(NDArray x, NDArray[] dense, Projection p, ProjectionAdapter adapter, LayerContext ctx) {
        Span projections = ctx.phases.begin(Phase.PROJECTIONS);
        try {
            NDArray fused =
                    adapter == null ? null : adapter.project(index, p, x, dense[p.ordinal()], w.bias(p), ctx.training);
            if (fused != null) {
                return fused;
            }
            NDArray y = Linear.linear(x, dense[p.ordinal()], w.bias(p)).singletonOrThrow();
            NDArray delta = adapter == null ? null : adapter.delta(index, p, x, ctx.training);
            return delta == null ? y : y.add(delta);
        } finally {
            projections.end();
        }
    }
}
