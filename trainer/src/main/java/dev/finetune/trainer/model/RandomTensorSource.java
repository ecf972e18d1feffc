package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Random weights of a config's real shapes (N(0, 0.02), norms 1), made on the target device: for benchmarks
 * that need a model's cost, not its knowledge.
 */
public final class RandomTensorSource implements TensorSource {
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    public RandomTensorSource(ModelConfig c) {
        shapes.put("model.embed_tokens.weight", new long[] {c.vocabSize, c.hiddenSize});
        for (int i = 0; i < c.numLayers; i++) {
            String p = "model.layers." + i + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {c.hiddenSize});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {c.hiddenSize});
            for (Projection proj : Projection.all()) {
                shapes.put(proj.weightKey(i), new long[] {proj.out(c), proj.in(c)});
            }
            for (Projection proj : Projection.all()) {
                if (proj.hasBias(c)) {
                    shapes.put(proj.biasKey(i), new long[] {proj.out(c)});
                }
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
