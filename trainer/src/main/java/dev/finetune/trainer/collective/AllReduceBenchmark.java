package dev.finetune.trainer.collective;

import java.io.File;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * All-reduce throughput for adapter-sized buffers, and what it means for a training step.
 * Default buffer: LoRA r=16 on all seven projections of Qwen2-7B (28 layers × 16 × (2·(3584+3584) +
 * 2·(3584+512) + 3·(3584+18944)) = 40,370,176 floats, 161.5 MB in FP32).
 *
 * <p>{@code java -cp ... dev.finetune.trainer.collective.AllReduceBenchmark --launch-local 2 [--floats N]
 * [--iterations 5] [--fp16-wire]} starts N rank processes on loopback and prints rank 0's report; or run one
 * process per rank yourself with {@code --rank --world-size --peers}.
 */
public final class AllReduceBenchmark {

    static final int QWEN2_7B_LORA_R16 = 28 * 16 * (2 * (3584 + 3584) + 2 * (3584 + 512) + 3 * (3584 + 18944));
    /** Notebook defaults: 16 micro-batches of 1×1024 tokens, 0.3–0.6 s per micro-step for 7B on an H100. */
    static final int MICRO_STEPS = 16;

    private AllReduceBenchmark() {}

    public static void main(String[] args) throws Exception {
        List<String> a = Arrays.asList(args);
        int floats = intFlag(a, "--floats", QWEN2_7B_LORA_R16);
        int iterations = intFlag(a, "--iterations", 5);
        int launch = intFlag(a, "--launch-local", 0);
        if (launch > 0) {
            launchLocal(launch, args);
            return;
        }
        CollectiveOptions o = CollectiveOptions.fromArgs(args);
        float[] buf = new float[floats];
        try (TcpCollective c = TcpCollective.connect(o)) {
            Arrays.fill(buf, 1f);
            c.allReduceSum(buf); // warm-up: JIT, TCP windows
            if (buf[floats - 1] != o.worldSize) {
                throw new IllegalStateException(
                        "warm-up all-reduce gave " + buf[floats - 1] + ", expected " + o.worldSize);
            }
            c.barrier();
            double best = Double.MAX_VALUE;
            double sum = 0;
            for (int i = 0; i < iterations; i++) {
                long t = System.nanoTime();
                c.allReduceSum(buf);
                double s = (System.nanoTime() - t) / 1e9;
                best = Math.min(best, s);
                sum += s;
            }
            if (o.rank == 0) {
                report(o, floats, sum / iterations, best);
            }
        }
    }

    private static void report(CollectiveOptions o, int floats, double mean, double best) {
        int n = o.worldSize;
        double wireBytes = floats * (o.fp16Wire ? 2.0 : 4.0);
        double ringFactor = 2.0 * (n - 1) / n;
        System.out.printf(
                "all-reduce of %,d floats (%.1f MB FP32), %d ranks, %s on the wire, %d cores%n",
                floats,
                floats * 4 / 1e6,
                n,
                o.fp16Wire ? "FP16" : "FP32",
                Runtime.getRuntime().availableProcessors());
        System.out.printf(
                "loopback: mean %.1f ms, best %.1f ms per all-reduce; bus bandwidth %.2f GB/s (each rank sends %.0f MB)%n",
                mean * 1e3, best * 1e3, ringFactor * wireBytes / best / 1e9, ringFactor * wireBytes / 1e6);
        System.out.println(
                "implied between hosts at 10 Gb/s (ring: 2(n-1)/n × bytes / 1.25 GB/s), share of an optimizer step of "
                        + MICRO_STEPS + " micro-steps at 0.3–0.6 s:");
        for (int hosts : new int[] {2, 4, 8}) {
            for (boolean fp16 : new boolean[] {false, true}) {
                double t = 2.0 * (hosts - 1) / hosts * floats * (fp16 ? 2 : 4) / 1.25e9;
                System.out.printf(
                        "  %d hosts, %s: %.0f ms per all-reduce = %.1f %% – %.1f %% of a step%n",
                        hosts,
                        fp16 ? "FP16" : "FP32",
                        t * 1e3,
                        100 * t / (MICRO_STEPS * 0.6 + t),
                        100 * t / (MICRO_STEPS * 0.3 + t));
            }
        }
    }

    /** Starts {@code n} ranks as processes of this JVM's java and classpath, on free loopback ports. */
    private static void launchLocal(int n, String[] args) throws Exception {
        List<String> peers = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            try (ServerSocket s = new ServerSocket(0)) {
                peers.add("127.0.0.1:" + s.getLocalPort());
            }
        }
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<Process> procs = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            List<String> cmd = new ArrayList<>(Arrays.asList(
                    java,
                    "-Xmx2g",
                    "-cp",
                    System.getProperty("java.class.path"),
                    AllReduceBenchmark.class.getName(),
                    "--rank",
                    String.valueOf(r),
                    "--world-size",
                    String.valueOf(n),
                    "--peers",
                    String.join(",", peers)));
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--launch-local")) {
                    i++;
                } else {
                    cmd.add(args[i]);
                }
            }
            procs.add(new ProcessBuilder(cmd).inheritIO().start());
        }
        int failed = 0;
        for (Process p : procs) {
            failed += p.waitFor() == 0 ? 0 : 1;
        }
        if (failed > 0) {
            throw new IllegalStateException(failed + " of " + n + " rank processes failed; see their output above");
        }
    }

    private static int intFlag(List<String> args, String flag, int dflt) {
        int i = args.indexOf(flag);
        return i < 0 || i + 1 >= args.size() ? dflt : Integer.parseInt(args.get(i + 1));
    }
}
