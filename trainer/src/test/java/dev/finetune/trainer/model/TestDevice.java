package dev.finetune.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

/**
 * The device the reference-checking tests run their model on: the CPU, or the GPU named by the system property
 * {@code finetune.test.device} (e.g. {@code gpu0}), so the same laws and tolerances are checked on a GPU machine
 * (trainer/tools/gpu/check.sh runs them there).
 */
public final class TestDevice {
    private TestDevice() {}

    public static Device get() {
        String name = System.getProperty("finetune.test.device", "cpu");
        return "cpu".equals(name) ? Device.cpu() : Device.fromName(name);
    }

    /** Dense weights computed in FP32 on {@link #get()}: the precision the reference outputs were made in. */
    public static LoadOptions fp32() {
        return new LoadOptions(get(), DataType.FLOAT32, null);
    }
}
