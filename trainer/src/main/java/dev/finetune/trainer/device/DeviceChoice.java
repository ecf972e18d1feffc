package dev.finetune.trainer.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.ndarray.NDManager;
import ai.djl.util.cuda.CudaUtils;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

/**
 * The device a command runs on, decided from what the engine can do: {@code auto} is the first GPU when PyTorch
 * has CUDA and a tensor can be made there, else the CPU; {@code gpuN} must work or the command stops with one line
 * saying why and what to do.
 */
public final class DeviceChoice {

    /** The chosen device and a sentence saying why, printed at start. */
    public final Device device;

    public final String reason;

    private DeviceChoice(Device device, String reason) {
        this.device = device;
        this.reason = reason;
    }

    /** {@code device <name>: <reason>}: the line commands print at start. */
    public String describe() {
        return "device " + name(device) + ": " + reason;
    }

    /** The project's spelling of a device: {@code cpu} or {@code gpuN}. */
    public static String name(Device device) {
        return device.isGpu() ? "gpu" + device.getDeviceId() : "cpu";
    }

    /** A device as the CLI passes it on: auto → the first GPU when there is one, else cpu; gpu → gpu0. */
    public static String named(String device) {
        String d = device.toLowerCase(java.util.Locale.ROOT);
        if (d.equals("auto")) {
            return gpuCount() > 0 ? "gpu0" : "cpu";
        }
        return d.equals("gpu") ? "gpu0" : d;
    }

    /**
     * Resolves {@code auto}, {@code cpu}, {@code gpu} or {@code gpuN}.
     *
     * @throws IllegalArgumentException a GPU was asked for and none works (message: one line with the way out),
     *     or the name is not a device
     */
    public static DeviceChoice resolve(String requested) {
        String name = requested == null ? "auto" : requested.trim().toLowerCase(Locale.ROOT);
        if (name.equals("cpu")) {
            return new DeviceChoice(Device.cpu(), "asked for");
        }
        boolean auto = name.equals("auto");
        int id;
        if (auto || name.equals("gpu")) {
            id = 0;
        } else if (name.matches("gpu\\d+")) {
            id = Integer.parseInt(name.substring(3));
        } else {
            throw new IllegalArgumentException(
                    "device '" + requested + "' is not a device: use auto, cpu, gpu or gpuN");
        }
        Engine engine = Engine.getInstance();
        String engineName = engine.getEngineName() + " " + engine.getVersion();
        if (!engine.hasCapability(StandardCapabilities.CUDA)) {
            String why = engineName + " was built without CUDA (the CPU libtorch is loaded)";
            if (auto) {
                return new DeviceChoice(Device.cpu(), why);
            }
            throw new IllegalArgumentException("device " + name + " asked for, but " + why + ": on a GPU machine "
                    + "unset FINETUNE_NATIVE=cpu and let the launcher load CUDA libtorch, or use --device cpu");
        }
        String failure = tryDevice(Device.gpu(id));
        if (failure == null) {
            return new DeviceChoice(
                    Device.gpu(id),
                    engineName + " has CUDA and gpu" + id + " works"
                            + (auto ? " (device auto picks the first GPU)" : ""));
        }
        if (auto) {
            return new DeviceChoice(Device.cpu(), engineName + " has CUDA but gpu0 does not work (" + failure + ")");
        }
        throw new IllegalArgumentException("device " + name + " asked for, but PyTorch cannot use it (" + failure
                + "); GPUs visible to this process: " + gpuCount() + "; pick one of those or use --device cpu");
    }

    /** Null when a tensor can be made on {@code device}, else the engine's first message line. */
    static String tryDevice(Device device) {
        try (NDManager m = NDManager.newBaseManager(device)) {
            m.ones(new ai.djl.ndarray.types.Shape(1)).toFloatArray();
            return null;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            String msg = String.valueOf(e.getMessage());
            int nl = msg.indexOf('\n');
            return nl < 0 ? msg : msg.substring(0, nl);
        }
    }

    /**
     * How many GPUs this process can use, without creating a CUDA context on any of them when a cheaper source
     * answers: DJL's count when JNA reaches libcudart, else the driver's list ({@code nvidia-smi -L}) restricted
     * by {@code CUDA_VISIBLE_DEVICES}, else a probe of ordinals 0, 1, ... until one fails. 0 without CUDA.
     */
    public static int gpuCount() {
        Engine engine = Engine.getInstance();
        if (!engine.hasCapability(StandardCapabilities.CUDA)) {
            return 0;
        }
        int jna = 0;
        try {
            jna = CudaUtils.getGpuCount();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            jna = 0;
        }
        if (jna > 0) {
            return jna;
        }
        List<String> physical = driverGpus();
        if (!physical.isEmpty()) {
            return visibleCount(physical.size(), System.getenv("CUDA_VISIBLE_DEVICES"));
        }
        return leadingWorking(ordinal -> tryDevice(Device.gpu(ordinal)) == null, 64);
    }

    /**
     * The number of GPUs CUDA shows a process on a host with {@code physical} GPUs, given CUDA_VISIBLE_DEVICES as
     * CUDA reads it: unset shows all; otherwise the comma-separated entries up to the first invalid one (an index
     * out of range, a repeated index, or an empty entry), where UUIDs ({@code GPU-...}, {@code MIG-...}) count as valid.
     */
    static int visibleCount(int physical, String cudaVisibleDevices) {
        if (cudaVisibleDevices == null) {
            return physical;
        }
        List<String> seen = new ArrayList<>();
        for (String entry : Arrays.asList(cudaVisibleDevices.split(",", -1))) {
            String e = entry.trim();
            boolean valid;
            if (e.matches("\\d+")) {
                valid = Integer.parseInt(e) < physical && !seen.contains(e);
            } else {
                valid = e.startsWith("GPU-") || e.startsWith("MIG-");
            }
            if (!valid) {
                break;
            }
            seen.add(e);
        }
        return seen.size();
    }

    /** How many of the ordinals 0, 1, ... work before the first that does not (at most {@code limit}). */
    static int leadingWorking(IntPredicate works, int limit) {
        int n = 0;
        while (n < limit && works.test(n)) {
            n++;
        }
        return n;
    }

    /** The driver's GPU lines ({@code nvidia-smi -L}); empty when there is no driver tool. */
    static List<String> driverGpus() {
        List<String> lines = new ArrayList<>();
        try {
            Process p = new ProcessBuilder("nvidia-smi", "-L")
                    .redirectErrorStream(true)
                    .start();
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    if (l.startsWith("GPU ")) {
                        lines.add(l);
                    }
                }
            }
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return new ArrayList<>();
            }
        } catch (IOException e) {
            return new ArrayList<>();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ArrayList<>();
        }
        return lines;
    }
}
