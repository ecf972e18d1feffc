package dev.finetune.trainer.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.util.List;

/**
 * Makes the stored form of one base linear weight while the model loads: dense (the default) or
 * quantized (NF4, from {@code dev.finetune.trainer.nf4}). Called once per projection, so a quantizer can
 * load one tensor, quantize it and drop the original before the next.
 */
public interface LinearWeightFactory {
    LinearWeight create(String name, TensorSource source, NDManager modelManager, DataType computeType)
            throws IOException;

    /**
     * One group that materializes all of {@code weights} (a layer's projections, made by this factory) at once,
     * or null where each weight materializes by itself (the default).
     */
    default LinearWeightGroup group(List<LinearWeight> weights, NDManager modelManager) {
        return null;
    }

    /** Keeps weights whole in the compute dtype. */
    LinearWeightFactory DENSE =
            (name, source, manager, computeType) -> new DenseLinearWeight(source.load(name, manager, computeType));
}
