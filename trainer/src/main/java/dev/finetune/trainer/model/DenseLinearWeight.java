package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** A base weight kept whole in the compute dtype (FP16 on GPU, FP32 on CPU). */
public final class DenseLinearWeight implements LinearWeight {
    private final NDArray weight; // [out, in], owned by the model's manager

    public DenseLinearWeight(NDArray weight) {
        if (weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException("a linear weight is [out, in], got " + weight.getShape());
        }
        this.weight = weight;
    }

    /** A view (no copy) handed to {@code scope}; closing it frees the view only, never the stored weight. */
    @Override
    public NDArray materialize(NDManager scope) {
        NDArray view = weight.reshape(weight.getShape());
        view.attach(scope);
        return view;
    }

    @Override
    public Shape shape() {
        return weight.getShape();
    }

    @Override
    public void close() {
        weight.close();
    }
}
