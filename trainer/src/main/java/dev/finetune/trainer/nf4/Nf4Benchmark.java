package dev.finetune.trainer.nf4;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Micro-benchmark: quantize and dequantize one Qwen2-7B down projection ([3584, 18944], 68 M weights) on a
 * device. Usage:
 * {@code java -cp ... dev.finetune.trainer.nf4.Nf4Benchmark [--device cpu|gpu0] [--rows 3584] [--cols 18944] [--iterations 10]}.
 * Timings read one element back after each pass, which waits for the device.
 */
public final class Nf4Benchmark {

    private Nf4Benchmark() {}

    public static void main(String[] args) {
        String device = "cpu";
        long rows = 3584;
        long cols = 18944;
        int iterations = 10;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--device":
                    device = args[i + 1];
                    break;
                case "--rows":
                    rows = Long.parseLong(args[i + 1]);
                    break;
                case "--cols":
                    cols = Long.parseLong(args[i + 1]);
                    break;
                case "--iterations":
                    iterations = Integer.parseInt(args[i + 1]);
                    break;
                default:
                    System.err.println("ERROR unknown flag " + args[i]
                            + "\nusage: Nf4Benchmark [--device cpu|gpu0] [--rows N] [--cols N] [--iterations N]");
                    System.exit(2);
            }
        }
        Device dev = Device.fromName(device);
        DataType compute = dev.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
        double perWeights = 68e6 / (rows * cols);
        System.out.printf(
                "NF4 benchmark: [%d, %d] = %.1f M weights on %s, compute %s; ms scaled to 68 M weights%n",
                rows, cols, rows * cols / 1e6, dev, compute);
        try (NDManager manager = NDManager.newBaseManager(dev)) {
            NDArray weight = manager.randomNormal(0f, 0.02f, new Shape(rows, cols), DataType.FLOAT32)
                    .toType(compute, false);
            Nf4Options o = Nf4Options.defaults(compute);
            long t0 = System.nanoTime();
            try (Nf4Weight q = Nf4Weight.quantize(weight, o, manager)) {
                q.codes(); // wait for the device
                double quantMs = (System.nanoTime() - t0) / 1e6;
                double best = Double.MAX_VALUE;
                double sum = 0;
                for (int it = 0; it < iterations + 1; it++) {
                    try (NDManager scope = manager.newSubManager()) {
                        long s = System.nanoTime();
                        NDArray w = q.materialize(scope);
                        w.get(0, 0).toType(DataType.FLOAT32, false).getFloat();
                        double ms = (System.nanoTime() - s) / 1e6;
                        if (it > 0) { // the first pass warms the allocator
                            best = Math.min(best, ms);
                            sum += ms;
                        }
                    }
                }
                System.out.printf(
                        "quantize %8.1f ms  dequantize mean %8.2f ms  best %8.2f ms  (per 68 M: %.2f ms)  "
                                + "device bytes %.1f MB%n",
                        quantMs, sum / iterations, best, best * perWeights, q.storageBytes() / 1e6);
            }
        }
    }
}
