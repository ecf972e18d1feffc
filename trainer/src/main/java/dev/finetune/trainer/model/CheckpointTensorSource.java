package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.finetune.trainer.safetensors.SafetensorsCheckpoint;
import java.io.IOException;

/** Weights read from a (possibly sharded) safetensors checkpoint. */
public final class CheckpointTensorSource implements TensorSource {
    private final SafetensorsCheckpoint checkpoint;

    public CheckpointTensorSource(SafetensorsCheckpoint checkpoint) {
        this.checkpoint = checkpoint;
    }

    @Override
    public boolean contains(String name) {
        return checkpoint.contains(name);
    }

    @Override
    public long[] shape(String name) {
        return checkpoint.info(name).shape();
    }

    @Override
    public NDArray load(String name, NDManager manager, DataType dtype) throws IOException {
        return checkpoint.load(name, manager, dtype);
    }
}
