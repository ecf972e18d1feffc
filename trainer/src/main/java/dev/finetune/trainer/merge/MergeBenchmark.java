package dev.finetune.trainer.merge;

import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.lora.LoraSettings;
import dev.finetune.trainer.lora.LoraTarget;
import dev.finetune.trainer.model.ModelConfig;
import dev.finetune.trainer.model.RandomTensorSource;
import dev.finetune.trainer.safetensors.SafetensorsDType;
import dev.finetune.trainer.safetensors.SafetensorsWriter;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;

/**
 * Merge time and peak heap on a random BF16 checkpoint of a real shape (no download): writes config.json +
 * model.safetensors for {@code --config FILE} (default Qwen2.5-0.5B's) and an all-linear adapter of rank
 * {@code --r} (default 16) under {@code --work DIR}, then merges it with {@code --dtype} (default bf16).
 */
public final class MergeBenchmark {
    private MergeBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path config = null;
        Path work = Paths.get("merge-bench");
        int r = 16;
        OutputDtype dtype = OutputDtype.BF16;
        String shard = "5GB";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--config":
                    config = Paths.get(args[i + 1]);
                    break;
                case "--work":
                    work = Paths.get(args[i + 1]);
                    break;
                case "--r":
                    r = Integer.parseInt(args[i + 1]);
                    break;
                case "--dtype":
                    dtype = OutputDtype.parse(args[i + 1]);
                    break;
                case "--max-shard-size":
                    shard = args[i + 1];
                    break;
                default:
                    throw new IllegalArgumentException("unknown option " + args[i]
                            + "; options: --config FILE --work DIR --r N --dtype bf16|fp16|fp32 --max-shard-size SIZE");
            }
        }
        run(config, work, r, dtype, MergeCommand.parseSize(shard), System.out);
    }

    static void run(Path configFile, Path work, int r, OutputDtype dtype, long maxShard, PrintStream out)
            throws Exception {
        Path base = work.resolve("base");
        Path adapter = work.resolve("adapter");
        Files.createDirectories(base);
        if (configFile != null) {
            Files.copy(configFile, base.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } else {
            try (java.io.InputStream in = MergeBenchmark.class.getResourceAsStream(
                    "/dev/finetune/trainer/generate/qwen2.5-0.5b-config.json")) {
                Files.copy(in, base.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        ModelConfig config = ModelConfig.read(base);
        long t0 = System.nanoTime();
        RandomTensorSource shapes = new RandomTensorSource(config);
        List<SafetensorsWriter.Spec> specs = new ArrayList<>();
        long params = 0;
        for (String n : shapes.names()) {
            long[] s = shapes.shape(n);
            specs.add(new SafetensorsWriter.Spec(n, SafetensorsDType.BF16, s));
            params += product(s);
        }
        SplittableRandom rng = new SplittableRandom(1);
        float[] chunk = new float[1 << 20];
        try (SafetensorsWriter w =
                SafetensorsWriter.create(base.resolve("model.safetensors"), SafetensorsWriter.ptMetadata(), specs)) {
            for (String n : shapes.names()) {
                long size = product(shapes.shape(n));
                for (long from = 0; from < size; from += chunk.length) {
                    int count = (int) Math.min(chunk.length, size - from);
                    for (int i = 0; i < count; i++) {
                        chunk[i] = (float) (rng.nextDouble() - 0.5) * 0.04f;
                    }
                    w.writePart(n, chunk, count);
                }
            }
        }
        LoraSettings settings =
                new LoraSettings(r, 2.0 * r, 0, false, Collections.singletonList(LoraSettings.ALL_LINEAR));
        settings.write(adapter, base.toString());
        List<LoraTarget> targets = LoraAdapter.targets(settings, config);
        List<SafetensorsWriter.Spec> pairs = new ArrayList<>();
        for (LoraTarget t : targets) {
            pairs.add(new SafetensorsWriter.Spec(t.keyA(), SafetensorsDType.F32, r, t.in));
            pairs.add(new SafetensorsWriter.Spec(t.keyB(), SafetensorsDType.F32, t.out, r));
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(
                adapter.resolve(LoraAdapter.WEIGHTS_FILE), SafetensorsWriter.ptMetadata(), pairs)) {
            for (LoraTarget t : targets) {
                w.write(t.keyA(), random(rng, r * t.in));
                w.write(t.keyB(), random(rng, t.out * r));
            }
        }
        double prepS = (System.nanoTime() - t0) / 1e9;
        out.printf(
                "merge bench: %s, %.3f B params, r=%d all-linear; random BF16 base written in %.1f s%n",
                config, params / 1e9, r, prepS);

        MergeCommand m = new MergeCommand();
        m.model = base;
        m.adapter = adapter.toString();
        m.output = work.resolve("merged").toString();
        m.dtype = dtype;
        m.maxShardBytes = maxShard;
        m.overwrite = true;
        System.gc();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            p.resetPeakUsage();
        }
        long t1 = System.nanoTime();
        Merger.Result res = Merger.run(m, new Configuration(), new PrintStream(new java.io.ByteArrayOutputStream()));
        double s = (System.nanoTime() - t1) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                peak += p.getPeakUsage().getUsed();
            }
        }
        out.printf(
                "merge bench: merged %d weights, folder of %d files (%.2f GB of %s tensors) in %.1f s = %.2f GB/s written, "
                        + "%d cores; peak heap %.0f MB (max %.0f MB)%n",
                res.mergedTensors,
                res.files.size(),
                res.totalSize / 1e9,
                dtype,
                s,
                res.totalSize / 1e9 / s,
                Runtime.getRuntime().availableProcessors(),
                peak / 1e6,
                Runtime.getRuntime().maxMemory() / 1e6);
    }

    private static float[] random(SplittableRandom rng, long n) {
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextDouble() - 0.5) * 0.02f;
        }
        return v;
    }

    private static long product(long[] s) {
        long n = 1;
        for (long d : s) {
            n *= d;
        }
        return n;
    }
}
