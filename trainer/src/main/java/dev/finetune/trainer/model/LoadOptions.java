package dev.finetune.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

/** How to load a model: device, compute dtype and the stored form of base linear weights. */
public final class LoadOptions {
    /** Device (default CPU). */
    public final Device device;
    /** FLOAT16 or FLOAT32; null (default) picks FLOAT16 on GPU and FLOAT32 on CPU. */
    public final DataType computeType;
    /** Dense by default; the NF4 quantizer plugs in here. */
    public final LinearWeightFactory weights;
    /** The attention kernel the layers use (default SDPA). */
    public final AttentionKernel attention;

    public LoadOptions(Device device, DataType computeType, LinearWeightFactory weights) {
        this(device, computeType, weights, AttentionKernel.SDPA);
    }

    private LoadOptions(Device device, DataType computeType, LinearWeightFactory weights, AttentionKernel attention) {
        this.device = device == null ? Device.cpu() : device;
        this.computeType = computeType;
        this.weights = weights == null ? LinearWeightFactory.DENSE : weights;
        this.attention = attention == null ? AttentionKernel.SDPA : attention;
        validate();
    }

    /** The same options with another attention kernel. */
    public LoadOptions withAttention(AttentionKernel kernel) {
        return new LoadOptions(device, computeType, weights, kernel);
    }

    public static LoadOptions on(Device device) {
        return new LoadOptions(device, null, null);
    }

    public void validate() {
        if (computeType != null && computeType != DataType.FLOAT32 && computeType != DataType.FLOAT16) {
            throw new IllegalArgumentException("compute dtype = " + computeType + "; allowed FLOAT32, FLOAT16");
        }
    }

    /** The dtype used on this device. */
    public DataType resolvedComputeType() {
        if (computeType != null) {
            return computeType;
        }
        return device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
    }
}
