package dev.finetune.trainer.nf4;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.finetune.trainer.model.LinearWeight;
import dev.finetune.trainer.model.LinearWeightFactory;
import dev.finetune.trainer.model.LinearWeightGroup;
import dev.finetune.trainer.model.TensorSource;
import java.io.IOException;
import java.util.List;

/**
 * Plugs NF4 into the model loader: each projection is loaded as FP32 on the model's device (exact for BF16
 * checkpoints), quantized there, and the dense copy freed before the next tensor, so loading needs about one
 * dense tensor of device memory beyond the NF4 model.
 */
public final class Nf4WeightFactory implements LinearWeightFactory {

    private final Nf4Options options;

    /** {@code options}' compute dtype is replaced by the loader's. */
    public Nf4WeightFactory(Nf4Options options) {
        this.options = options.validate();
    }

    /** QLoRA's defaults: blocks of 64, double quantization, one code per byte. */
    public static Nf4WeightFactory defaults() {
        return new Nf4WeightFactory(Nf4Options.defaults(DataType.FLOAT32));
    }

    /**
     * The base weights of the use_4bit / double_quant options, one choice for train, generate and chat: NF4 with
     * QLoRA's defaults, or dense in the compute dtype.
     */
    public static LinearWeightFactory forBase(boolean use4bit, boolean doubleQuant) {
        return use4bit
                ? new Nf4WeightFactory(Nf4Options.defaults(DataType.FLOAT32).withDoubleQuant(doubleQuant))
                : LinearWeightFactory.DENSE;
    }

    /** A layer's NF4 projections dequantized by one lookup ({@link Nf4LayerGroup}), where they allow it. */
    @Override
    public LinearWeightGroup group(List<LinearWeight> weights, NDManager modelManager) {
        return Nf4LayerGroup.of(weights, modelManager);
    }

    @Override
    public LinearWeight create(String name, TensorSource source, NDManager modelManager, DataType computeType)
            throws IOException {
        Nf4Options o = options.withComputeType(computeType);
        try (NDManager scratch = modelManager.newSubManager()) {
            NDArray dense = source.load(name, scratch, DataType.FLOAT32); // [out, in]
            return Nf4Weight.quantize(dense, o, modelManager);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("NF4 quantization of " + name + ": " + e.getMessage(), e);
        }
    }
}
