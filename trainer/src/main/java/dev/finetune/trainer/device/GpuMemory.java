package dev.finetune.trainer.device;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A GPU's used memory in GiB, as the driver reports it (what {@code nvidia-smi} shows as memory.used: PyTorch's
 * cache included, and other processes on the same GPU). Read through DJL's CUDA runtime binding when JNA reaches
 * {@code libcudart}, else from {@code nvidia-smi}; NaN when neither answers.
 */
public final class GpuMemory {

    private static final double GIB = 1024.0 * 1024 * 1024;

    private GpuMemory() {}

    /** Used memory of {@code device} (a GPU of this process) in GiB, or NaN when unknown. */
    public static double usedGiB(Device device) {
        try {
            return CudaUtils.getGpuMemory(device).getCommitted() / GIB;
        } catch (RuntimeException | UnsatisfiedLinkError | NoClassDefFoundError e) {
            // JNA cannot reach libcudart here: ask the driver
        }
        String id = driverId(device.getDeviceId(), System.getenv("CUDA_VISIBLE_DEVICES"));
        try {
            Process p = new ProcessBuilder(
                            "nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "--id=" + id)
                    .redirectErrorStream(true)
                    .start();
            String line;
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                line = r.readLine();
            }
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || line == null) {
                p.destroyForcibly();
                return Double.NaN;
            }
            return parseMiB(line) / 1024.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /**
     * The driver's name for this process's GPU {@code ordinal}: the ordinal itself, or the entry at that position
     * of CUDA_VISIBLE_DEVICES (an index or a UUID) when that variable renumbers the GPUs.
     */
    static String driverId(int ordinal, String cudaVisibleDevices) {
        if (cudaVisibleDevices == null || cudaVisibleDevices.trim().isEmpty()) {
            return String.valueOf(ordinal);
        }
        String[] entries = cudaVisibleDevices.split(",");
        return ordinal < entries.length ? entries[ordinal].trim() : String.valueOf(ordinal);
    }

    /** A memory.used line in MiB ({@code 1234} or {@code 1234 MiB}). */
    static double parseMiB(String line) {
        return Double.parseDouble(line.trim().replaceAll("[^0-9.]", ""));
    }

    /**
     * Samples a GPU's used memory every 50 ms on a daemon thread and keeps the largest value: the peak of a
     * step, which single reads between steps miss.
     */
    public static final class PeakSampler implements AutoCloseable {
        private final Thread thread;
        private volatile boolean running = true;
        private volatile double peak = Double.NaN;

        public PeakSampler(Device device) {
            thread = new Thread(
                    () -> {
                        while (running) {
                            double v = usedGiB(device);
                            if (!Double.isNaN(v) && (Double.isNaN(peak) || v > peak)) {
                                peak = v;
                            }
                            try {
                                Thread.sleep(50);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    },
                    "gpu-memory-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        /** The largest used memory seen so far in GiB, NaN when no read succeeded. */
        public double peakGiB() {
            return peak;
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
