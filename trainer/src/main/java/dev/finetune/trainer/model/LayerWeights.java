package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;

/**
 * The frozen weights of one decoder layer; fields are named after the HF keys
 * ({@code model.layers.<i>.<field in snake_case>}). Norm weights are FP32 (statistics run in FP32);
 * biases are in the compute dtype; optional tensors are null when the family has none.
 */
public final class LayerWeights implements AutoCloseable {
    public final NDArray inputLayernorm;          // [D] fp32
    public final LinearWeight qProj;              // [H·Dh, D]
    public final LinearWeight kProj;              // [Hkv·Dh, D]
    public final LinearWeight vProj;              // [Hkv·Dh, D]
    public final LinearWeight oProj;              // [D, H·Dh]
    public final NDArray qProjBias;               // [H·Dh] or null
    public final NDArray kProjBias;               // [Hkv·Dh] or null
    public final NDArray vProjBias;               // [Hkv·Dh] or null
    public final NDArray oProjBias;               // [D] or null
    public final NDArray qNorm;                   // [Dh] fp32, Qwen3 only
    public final NDArray kNorm;                   // [Dh] fp32, Qwen3 only
    public final NDArray postAttentionLayernorm;  // [D] fp32
    public final LinearWeight gateProj;           // [F, D]
    public final LinearWeight upProj;             // [F, D]
    public final LinearWeight downProj;           // [D, F]
    public final NDArray gateProjBias;            // [F] or null
    public final NDArray upProjBias;              // [F] or null
    public final NDArray downProjBias;            // [D] or null
    /** All seven projections materialized in one call, or null where each materializes by itself. */
    private final LinearWeightGroup group;

    private LayerWeights(Loader l) throws IOException {
        inputLayernorm = l.norm("input_layernorm.weight");
        qProj = l.linear("self_attn.q_proj");
        kProj = l.linear("self_attn.k_proj");
        vProj = l.linear("self_attn.v_proj");
        oProj = l.linear("self_attn.o_proj");
        qProjBias = l.bias("self_attn.q_proj", l.config.qkvBias);
        kProjBias = l.bias("self_attn.k_proj", l.config.qkvBias);
        vProjBias = l.bias("self_attn.v_proj", l.config.qkvBias);
        oProjBias = l.bias("self_attn.o_proj", l.config.oBias);
        qNorm = l.config.qkNorm ? l.norm("self_attn.q_norm.weight") : null;
        kNorm = l.config.qkNorm ? l.norm("self_attn.k_norm.weight") : null;
        postAttentionLayernorm = l.norm("post_attention_layernorm.weight");
        gateProj = l.linear("mlp.gate_proj");
        upProj = l.linear("mlp.up_proj");
        downProj = l.linear("mlp.down_proj");
        gateProjBias = l.bias("mlp.gate_proj", l.config.mlpBias);
        upProjBias = l.bias("mlp.up_proj", l.config.mlpBias);
        downProjBias = l.bias("mlp.down_proj", l.config.mlpBias);
        group = l.factory.group(java.util.Arrays.asList(projections()), l.manager);
    }

    /** q, k, v, o, gate, up, down (the order of {@link #materialize}). */
    private LinearWeight[] projections() {
        return new LinearWeight[] {qProj, kProj, vProj, oProj, gateProj, upProj, downProj};
    }

    /**
     * The seven projection weights in the compute dtype, in {@code scope}, in the order q, k, v, o, gate, up,
     * down: one call for all of them where the weights' factory groups them (NF4), else one per weight.
     */
    NDArray[] materialize(NDManager scope) {
        if (group != null) {
            return group.materialize(scope);
        }
        LinearWeight[] p = projections();
        NDArray[] out = new NDArray[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = p[i].materialize(scope);
        }
        return out;
    }

    /** Loads layer {@code index}, one tensor at a time. */
    static LayerWeights load(ModelConfig config, int index, TensorSource source, LinearWeightFactory factory,
            NDManager manager, DataType computeType) throws IOException {
        return new LayerWeights(new Loader(config, "model.layers." + index + ".", source, factory, manager, computeType));
    }

    /** Reads tensors under one layer's prefix and checks their shapes. */
    private static final class Loader {
        final ModelConfig config;
        final String prefix;
        final TensorSource source;
        final LinearWeightFactory factory;
        final NDManager manager;
        final DataType computeType;

        Loader(ModelConfig config, String prefix, TensorSource source, LinearWeightFactory factory, NDManager manager,
                DataType computeType) {
            this.config = config;
            this.prefix = prefix;
            this.source = source;
            this.factory = factory;
            this.manager = manager;
            this.computeType = computeType;
        }

        NDArray norm(String key) throws IOException {
            return source.load(require(prefix + key), manager, DataType.FLOAT32);
        }

        LinearWeight linear(String module) throws IOException {
            return factory.create(require(prefix + module + ".weight"), source, manager, computeType);
        }

        NDArray bias(String module, boolean expected) throws IOException {
            String key = prefix + module + ".bias";
            if (!source.contains(key)) {
                if (expected) {
                    require(key);
                }
                return null;
            }
            return source.load(key, manager, computeType);
        }

        String require(String key) {
            if (!source.contains(key)) {
                throw new IllegalArgumentException("weights lack '" + key + "', which a " + config.modelType
                        + " model with this config.json has; is the checkpoint complete and of this family?");
            }
            return key;
        }
    }

    @Override
    public void close() {
        if (group != null) {
            group.close();
        }
        for (LinearWeight w : projections()) {
            w.close();
        }
        for (NDArray a : new NDArray[] {inputLayernorm, qProjBias, kProjBias, vProjBias, oProjBias, qNorm, kNorm,
                postAttentionLayernorm, gateProjBias, upProjBias, downProjBias}) {
            if (a != null) {
                a.close();
            }
        }
    }
}
