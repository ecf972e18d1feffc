package dev.finetune.trainer.nf4;

import ai.djl.ndarray.types.DataType;

/** How base weights are quantized and held in memory. Defaults are QLoRA's (docs/formats.md). */
public final class Nf4Options {

    /** Weights per absmax block; bitsandbytes' 4-bit default 64, allowed powers of two 32..4096. */
    public final int blockSize;
    /** Quantize the absmax values too (bnb_4bit_use_double_quant), default true: 0.127 instead of 0.5 bits/weight. */
    public final boolean doubleQuant;
    /** Absmax values per block of the double quantization; bitsandbytes uses 256. */
    public final int nestedBlockSize;
    /** Dtype {@code materialize} returns: FLOAT16 on GPU, FLOAT32 on CPU. */
    public final DataType computeType;

    private Nf4Options(int blockSize, boolean doubleQuant, int nestedBlockSize, DataType computeType) {
        this.blockSize = blockSize;
        this.doubleQuant = doubleQuant;
        this.nestedBlockSize = nestedBlockSize;
        this.computeType = computeType;
    }

    /** QLoRA's defaults: blocks of 64, double quantization, the given compute dtype. */
    public static Nf4Options defaults(DataType computeType) {
        return new Nf4Options(64, true, 256, computeType).validate();
    }

    public Nf4Options withBlockSize(int value) {
        return new Nf4Options(value, doubleQuant, nestedBlockSize, computeType).validate();
    }

    public Nf4Options withDoubleQuant(boolean value) {
        return new Nf4Options(blockSize, value, nestedBlockSize, computeType).validate();
    }

    public Nf4Options withNestedBlockSize(int value) {
        return new Nf4Options(blockSize, doubleQuant, value, computeType).validate();
    }

    public Nf4Options withComputeType(DataType value) {
        return new Nf4Options(blockSize, doubleQuant, nestedBlockSize, value).validate();
    }

    /** Checks every field; the message names the option, the value and the allowed range. */
    public Nf4Options validate() {
        if (blockSize < 32 || blockSize > 4096 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException(
                    "nf4 block_size=" + blockSize + ": must be a power of two in 32..4096 (bitsandbytes default 64)");
        }
        if (nestedBlockSize < 2 || Integer.bitCount(nestedBlockSize) != 1) {
            throw new IllegalArgumentException("nf4 nested_block_size=" + nestedBlockSize
                    + ": must be a power of two >= 2 (bitsandbytes uses 256)");
        }
        if (computeType != DataType.FLOAT16 && computeType != DataType.FLOAT32) {
            throw new IllegalArgumentException("nf4 compute dtype=" + computeType
                    + ": must be FLOAT16 (GPU) or FLOAT32 (CPU); BF16 aborts the JVM in DJL 0.36");
        }
        return this;
    }

    @Override
    public String toString() {
        return "Nf4Options{block_size=" + blockSize + ", double_quant=" + doubleQuant + ", nested_block_size="
                + nestedBlockSize + ", compute=" + computeType + "}";
    }
}
