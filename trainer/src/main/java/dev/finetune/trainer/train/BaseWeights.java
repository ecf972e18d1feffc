package dev.finetune.trainer.train;

import ai.djl.ndarray.NDArray;
import dev.finetune.trainer.model.LinearWeightFactory;
import dev.finetune.trainer.nf4.Nf4Options;
import dev.finetune.trainer.nf4.Nf4Weight;

/** How base projections are stored for training: dense, or NF4 quantized tensor by tensor while loading. */
public final class BaseWeights {

    private BaseWeights() {
    }

    /** NF4 (QLoRA defaults, optional double quantization): each weight is loaded, quantized, and dropped. */
    public static LinearWeightFactory nf4(boolean doubleQuant) {
        return (name, source, manager, computeType) -> {
            NDArray dense = source.load(name, manager, computeType);
            try {
                return Nf4Weight.quantize(dense, Nf4Options.defaults(computeType).withDoubleQuant(doubleQuant), manager);
            } finally {
                dense.close();
            }
        };
    }
}
