package dev.finetune.trainer.generate;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.trainer.bench.PhaseTimer;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.KvCache;
import dev.finetune.trainer.model.LinearWeightFactory;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.model.ModelConfig;
import dev.finetune.trainer.model.RandomTensorSource;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Random;

/**
 * Generation throughput on random weights of a real shape (Qwen2.5-0.5B's config by default): load time,
 * prompt (prefill) tokens/s and generated tokens/s, with per-phase times so a GPU run says what to fix.
 * {@code --device cpu|gpu0 --batch B --prompt-len P --new-tokens N [--config config.json] [--fp16]}.
 */
public final class GenerateBenchmark {
    static final String DEFAULT_CONFIG = "qwen2.5-0.5b-config.json";

    private GenerateBenchmark() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out));
    }

    public static int run(String[] args, PrintStream out) throws Exception {
        String device = "cpu";
        String configPath = null;
        int batch = 1;
        int promptLen = 128;
        int newTokens = 32;
        boolean fp16 = false;
        boolean phases = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device":
                    device = args[++i];
                    break;
                case "--config":
                    configPath = args[++i];
                    break;
                case "--batch":
                    batch = Integer.parseInt(args[++i]);
                    break;
                case "--prompt-len":
                    promptLen = Integer.parseInt(args[++i]);
                    break;
                case "--new-tokens":
                    newTokens = Integer.parseInt(args[++i]);
                    break;
                case "--fp16":
                    fp16 = true;
                    break;
                case "--phases":
                    phases = true;
                    break;
                default:
                    out.println("ERROR unknown flag " + args[i]);
                    out.println("usage: GenerateBenchmark [--device cpu|gpu0] [--config FILE] [--batch B] "
                            + "[--prompt-len P] [--new-tokens N] [--fp16 (FP16 compute on CPU too)] "
                            + "[--phases (sync after each phase and print their times; slows the run a little)]");
                    return 2;
            }
        }
        ModelConfig config;
        ObjectMapper json = new ObjectMapper();
        if (configPath == null) {
            try (InputStream in = GenerateBenchmark.class.getResourceAsStream(DEFAULT_CONFIG)) {
                config = ModelConfig.parse(json.readTree(in), DEFAULT_CONFIG);
            }
        } else {
            config = ModelConfig.parse(json.readTree(Files.readAllBytes(Paths.get(configPath))), configPath);
        }
        Device dev = device.equals("cpu") ? Device.cpu() : Device.fromName(device);
        LoadOptions opts = new LoadOptions(dev, fp16 ? DataType.FLOAT16 : null, null);
        out.println("config: " + config);
        out.println("device: " + dev + " compute: " + opts.resolvedComputeType() + " batch " + batch + " prompt "
                + promptLen + " new " + newTokens);
        long t0 = System.nanoTime();
        NDManager manager = NDManager.newBaseManager(dev, "PyTorch");
        try (CausalLM model = CausalLM.create(
                config,
                new RandomTensorSource(config),
                manager,
                opts.resolvedComputeType(),
                LinearWeightFactory.DENSE)) {
            out.printf("load (random weights): %.2f s%n", (System.nanoTime() - t0) / 1e9);
            Random rng = new Random(1);
            long[] prompt = new long[batch * promptLen];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = rng.nextInt(config.vocabSize);
            }
            PhaseTimer timer = new PhaseTimer();
            model.setPhaseObserver(timer);
            try (NDManager scope = model.manager().newSubManager();
                    KvCache cache = new KvCache(scope, config.numLayers, new long[batch])) {
                if (phases) {
                    timer.enable(true);
                }
                long p0 = System.nanoTime();
                float[] logits;
                try (NDManager s = scope.newSubManager()) {
                    logits = model.decode(s, prompt, batch, cache).toFloatArray(); // copy to host = sync
                }
                double prefill = (System.nanoTime() - p0) / 1e9;
                String prefillPhases = phases ? timer.totalsMillis().toString() : "";
                if (phases) {
                    timer.reset();
                }
                long d0 = System.nanoTime();
                double sampleTime = 0;
                int vocab = logits.length / batch;
                for (int step = 0; step < newTokens; step++) {
                    long s0 = System.nanoTime();
                    long[] next = new long[batch];
                    for (int r = 0; r < batch; r++) {
                        float[] row = java.util.Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
                        next[r] = Sampler.argMax(row);
                    }
                    sampleTime += (System.nanoTime() - s0) / 1e9;
                    try (NDManager s = scope.newSubManager()) {
                        logits = model.decode(s, next, batch, cache).toFloatArray();
                    }
                }
                double decode = (System.nanoTime() - d0) / 1e9;
                out.printf(
                        "prefill: %d tokens in %.3f s = %.1f prompt tokens/s%n",
                        prompt.length, prefill, prompt.length / prefill);
                out.printf(
                        "decode: %d tokens in %.3f s = %.1f generated tokens/s (%.1f ms/step, host sampling %.1f ms "
                                + "total)%n",
                        batch * newTokens,
                        decode,
                        batch * newTokens / decode,
                        1000 * decode / newTokens,
                        1000 * sampleTime);
                if (phases) {
                    out.println("prefill phases (ms): " + prefillPhases);
                    out.println("decode phases (ms): " + timer.totalsMillis());
                    timer.disable();
                }
            }
        }
        return 0;
    }
}
