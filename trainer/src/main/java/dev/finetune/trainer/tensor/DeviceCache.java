package dev.finetune.trainer.tensor;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;

/** PyTorch's caching allocator on a GPU: blocks it keeps after their tensors are freed, for reuse. */
public final class DeviceCache {
    private DeviceCache() {}

    /**
     * Hands the cached, unused blocks back to the driver when {@code device} is a GPU (torch.cuda.empty_cache):
     * after an attempt that ran out of memory, so a smaller retry starts from memory that is really free.
     */
    public static void release(Device device) {
        if (device.isGpu()) {
            JniUtils.emptyCudaCache();
        }
    }
}
