package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;

/** Where model weights come from by HF name: a safetensors checkpoint, or random values for a benchmark. */
public interface TensorSource {
    boolean contains(String name);

    /** Shape as stored, e.g. [out, in] for a linear weight. */
    long[] shape(String name);

    /** Loads {@code name} into {@code manager} as FLOAT32 or FLOAT16. */
    NDArray load(String name, NDManager manager, DataType dtype) throws IOException;
}
