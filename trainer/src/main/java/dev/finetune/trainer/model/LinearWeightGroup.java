package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Several base weights of one layer materialized by one call: a quantized store can lay their codes and scales
 * side by side and dequantize all of them in a few ops, instead of a few ops per weight. The step is bound by
 * the host's time to issue ops, so the count of ops matters more than their size.
 */
public interface LinearWeightGroup extends AutoCloseable {

    /** The weights, each [out, in] in the compute dtype (views into one array), in {@code scope}. */
    NDArray[] materialize(NDManager scope);

    /** Frees what the group holds beyond its weights. */
    @Override
    void close();
}
