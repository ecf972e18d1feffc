package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * A frozen base weight of a linear projection, stored however is cheapest (FP32, FP16, NF4 codes) and
 * materialized on demand in the compute dtype. The model's forward asks for it once per use, inside the
 * step's (or the layer's) NDManager scope, so a dequantized copy lives only as long as that scope.
 */
public interface LinearWeight extends AutoCloseable {

    /** The weight as an [out, in] array in the compute dtype, attached to {@code scope}. */
    NDArray materialize(NDManager scope);

    /** [out, in], as in the checkpoint. */
    Shape shape();

    /** Frees the stored form. */
    @Override
    void close();
}
