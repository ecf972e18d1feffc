package dev.finetune.trainer.train;

import ai.djl.Device;
import dev.finetune.trainer.device.GpuMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * Memory in use, in GiB: on a GPU the device's used memory as the driver reports it (includes PyTorch's cache
 * and other processes), on the CPU this process's resident set (Linux), else the JVM heap.
 */
public final class MemoryProbe {

    private static final double GIB = 1024.0 * 1024 * 1024;

    private MemoryProbe() {}

    public static double usedGiB(Device device) {
        if (device.isGpu()) {
            return GpuMemory.usedGiB(device); // NaN when unknown: never fails training
        }
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024 / GIB;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through to the heap
        }
        Runtime rt = Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) / GIB;
    }
}
