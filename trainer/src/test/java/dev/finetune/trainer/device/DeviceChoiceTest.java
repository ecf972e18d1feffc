package dev.finetune.trainer.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeviceChoiceTest {

    @Test
    void cudaVisibleDevicesIsReadAsCudaDoes() {
        assertEquals(4, DeviceChoice.visibleCount(4, null), "unset shows every GPU");
        assertEquals(0, DeviceChoice.visibleCount(4, ""), "empty hides every GPU");
        assertEquals(2, DeviceChoice.visibleCount(4, "2,0"));
        assertEquals(1, DeviceChoice.visibleCount(2, "1,7,0"), "entries stop at the first invalid index");
        assertEquals(1, DeviceChoice.visibleCount(2, "0,0"), "a repeated index is invalid");
        assertEquals(2, DeviceChoice.visibleCount(1, "GPU-8f3a,MIG-11"), "UUIDs count");
    }

    @Test
    void ordinalsCountUpToTheFirstThatFails() {
        Set<Integer> working = new HashSet<>(Arrays.asList(0, 1, 3));
        assertEquals(2, DeviceChoice.leadingWorking(working::contains, 64));
        assertEquals(0, DeviceChoice.leadingWorking(i -> false, 64));
        assertEquals(5, DeviceChoice.leadingWorking(i -> true, 5), "the limit bounds a probe that never fails");
    }

    @Test
    void driverIdFollowsCudaVisibleDevices() {
        assertEquals("1", GpuMemory.driverId(1, null));
        assertEquals("3", GpuMemory.driverId(0, "3,1"));
        assertEquals("GPU-ab", GpuMemory.driverId(1, "2, GPU-ab"));
        assertEquals(81559.0, GpuMemory.parseMiB("81559 MiB"), 0.0);
    }

    @Test
    void withoutCudaAutoIsTheCpuAndSaysWhyWhileAGpuRequestFailsInOneLine() {
        boolean cuda = Engine.getInstance().hasCapability(StandardCapabilities.CUDA);
        DeviceChoice auto = DeviceChoice.resolve("auto");
        assertEquals(cuda, auto.device.isGpu(), auto.describe());
        assertFalse(auto.reason.isEmpty());
        if (!cuda) {
            assertTrue(auto.reason.contains("without CUDA"), auto.reason);
            assertEquals(0, DeviceChoice.gpuCount());
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> DeviceChoice.resolve("gpu0"));
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertTrue(e.getMessage().contains("--device cpu"), e.getMessage());
        }
        assertEquals("cpu", DeviceChoice.name(DeviceChoice.resolve("cpu").device));
        assertThrows(IllegalArgumentException.class, () -> DeviceChoice.resolve("tpu0"));
    }
}
