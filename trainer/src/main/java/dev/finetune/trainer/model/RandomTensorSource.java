package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.lora.PeftKeys;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Random weights of a config's real shapes (N(0, 0.02), norms 1), made on the target device: for benchmarks
 * that need a model's cost, not its knowledge.
 */
public final class RandomTensorSource implements TensorSource {
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    public RandomTensorSource(ModelConfig c) {
        long q = (long) c.numHeads * c.headDim;
        long kv = (long) c.numKvHeads * c.headDim;
        shapes.put("model.embed_tokens.weight", new long[] {c.vocabSize, c.hiddenSize});
        for (int i = 0; i < c.numLayers; i++) {
            String p = "model.layers." + i + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {c.hiddenSize});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {c.hiddenSize});
            for (String proj : PeftKeys.PROJECTIONS) {
                long[] io = linearInOut(c, proj, q, kv);
                shapes.put(PeftKeys.moduleName(i, proj) + ".weight", new long[] {io[1], io[0]});
            }
            if (c.qkvBias) {
                shapes.put(p + "self_attn.q_proj.bias", new long[] {q});
                shapes.put(p + "self_attn.k_proj.bias", new long[] {kv});
                shapes.put(p + "self_attn.v_proj.bias", new long[] {kv});
            }
            if (c.qkNorm) {
                shapes.put(p + "self_attn.q_norm.weight", new long[] {c.headDim});
                shapes.put(p + "self_attn.k_norm.weight", new long[] {c.headDim});
            }
        }
        shapes.put("model.norm.weight", new long[] {c.hiddenSize});
        if (!c.tieWordEmbeddings) {
            shapes.put("lm_head.weight", new long[] {c.vocabSize, c.hiddenSize});
        }
    }

    private static long[] linearInOut(ModelConfig c, String proj, long q, long kv) {
        switch (proj) {
            case "q_proj": return new long[] {c.hiddenSize, q};
            case "k_proj":
            case "v_proj": return new long[] {c.hiddenSize, kv};
            case "o_proj": return new long[] {q, c.hiddenSize};
            case "down_proj": return new long[] {c.intermediateSize, c.hiddenSize};
            default: return new long[] {c.hiddenSize, c.intermediateSize};
        }
    }

    /** Every tensor name of the checkpoint this stands for, in model order. */
    public java.util.Set<String> names() {
        return java.util.Collections.unmodifiableSet(shapes.keySet());
    }

    @Override
    public boolean contains(String name) {
        return shapes.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        return shapes.get(name).clone();
    }

    @Override
    public NDArray load(String name, NDManager manager, DataType dtype) {
        Shape shape = new Shape(shapes.get(name));
        if (name.endsWith("norm.weight")) {
            return manager.ones(shape, dtype);
        }
        return manager.randomNormal(0f, 0.02f, shape, dtype);
    }
}
