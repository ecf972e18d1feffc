package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;

/**
 * The frozen weights of one decoder layer, loaded by HF key ({@code model.layers.<i>.<field in snake_case>}, the
 * projections' keys from {@link Projection}). Norm weights are FP32 (statistics run in FP32); biases are in the
 * compute dtype; optional tensors are null when the family has none.
 */
public final class LayerWeights implements AutoCloseable {
    public final NDArray inputLayernorm; // [D] fp32
    public final NDArray qNorm; // [Dh] fp32, Qwen3 only
    public final NDArray kNorm; // [Dh] fp32, Qwen3 only
    public final NDArray postAttentionLayernorm; // [D] fp32
    /** The seven base weights [out, in], indexed by {@link Projection#ordinal()}. */
    private final LinearWeight[] linear = new LinearWeight[Projection.all().size()];
    /** Their biases [out] or null, indexed the same way. */
    private final NDArray[] bias = new NDArray[Projection.all().size()];
    /** All seven projections materialized in one call, or null where each materializes by itself. */
    private final LinearWeightGroup group;

    private LayerWeights(Loader l) throws IOException {
        // load order (attention weights, their biases, norms, MLP weights, their biases) fixes the draws of a
        // RandomTensorSource, so it stays as the checkpoint lists them
        inputLayernorm = l.norm("input_layernorm.weight");
        loadProjections(l, true);
        qNorm = l.config.qkNorm ? l.norm("self_attn.q_norm.weight") : null;
        kNorm = l.config.qkNorm ? l.norm("self_attn.k_norm.weight") : null;
        postAttentionLayernorm = l.norm("post_attention_layernorm.weight");
        loadProjections(l, false);
        group = l.factory.group(java.util.Arrays.asList(linear), l.manager);
    }

    private void loadProjections(Loader l, boolean attention) throws IOException {
        for (Projection p : Projection.all()) {
            if (p.attention == attention) {
                linear[p.ordinal()] = l.linear(p);
            }
        }
        for (Projection p : Projection.all()) {
            if (p.attention == attention) {
                bias[p.ordinal()] = l.bias(p);
            }
        }
    }

    /** The base weight of {@code p}. */
    public LinearWeight linear(Projection p) {
        return linear[p.ordinal()];
    }

    /** The bias of {@code p} in the compute dtype, or null where the family has none. */
    public NDArray bias(Projection p) {
        return bias[p.ordinal()];
    }

    /**
     * The seven projection weights in the compute dtype, in {@code scope}, indexed by {@link Projection#ordinal()}:
     * one call for all of them where the weights' factory groups them (NF4), else one per weight.
     */
    NDArray[] materialize(NDManager scope) {
        if (group != null) {
            return group.materialize(scope);
        }
        NDArray[] out = new NDArray[linear.length];
        for (int i = 0; i < linear.length; i++) {
            out[i] = linear[i].materialize(scope);
        }
        return out;
    }

    /** Loads layer {@code index}, one tensor at a time. */
    static LayerWeights load(
            ModelConfig config,
            int index,
            TensorSource source,
            LinearWeightFactory factory,
            NDManager manager,
            DataType computeType)
            throws IOException {
        return new LayerWeights(new Loader(config, index, source, factory, manager, computeType));
    }

    /** Reads tensors under one layer's prefix and checks their shapes. */
    private static final class Loader {
        final ModelConfig config;
        final int layer;
        final String prefix;
        final TensorSource source;
        final LinearWeightFactory factory;
        final NDManager manager;
        final DataType computeType;

        Loader(
                ModelConfig config,
                int layer,
                TensorSource source,
                LinearWeightFactory factory,
                NDManager manager,
                DataType computeType) {
            this.config = config;
            this.layer = layer;
            this.prefix = "model.layers." + layer + ".";
            this.source = source;
            this.factory = factory;
            this.manager = manager;
            this.computeType = computeType;
        }

        NDArray norm(String key) throws IOException {
            return source.load(require(prefix + key), manager, DataType.FLOAT32);
        }

        LinearWeight linear(Projection p) throws IOException {
            return factory.create(require(p.weightKey(layer)), source, manager, computeType);
        }

        NDArray bias(Projection p) throws IOException {
            String key = p.biasKey(layer);
            if (!source.contains(key)) {
                if (p.hasBias(config)) {
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
        for (LinearWeight w : linear) {
            w.close();
        }
        for (NDArray a : bias) {
            if (a != null) {
                a.close();
            }
        }
        for (NDArray a : new NDArray[] {inputLayernorm, qNorm, kNorm, postAttentionLayernorm}) {
            if (a != null) {
                a.close();
            }
        }
    }
}
