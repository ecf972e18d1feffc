package dev.finetune.trainer.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.trainer.device.DeviceChoice;
import dev.finetune.trainer.device.GpuMemory;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.lora.LoraSettings;
import dev.finetune.trainer.model.AttentionKernel;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.LinearWeightFactory;
import dev.finetune.trainer.model.ModelConfig;
import dev.finetune.trainer.model.PhaseObserver;
import dev.finetune.trainer.model.RandomTensorSource;
import dev.finetune.trainer.nf4.Nf4WeightFactory;
import dev.finetune.trainer.train.AdamW;
import dev.finetune.trainer.train.CausalLmTrainable;
import dev.finetune.trainer.train.GradientSync;
import dev.finetune.trainer.train.LossScaler;
import dev.finetune.trainer.train.MemoryProbe;
import dev.finetune.trainer.train.MicroBatch;
import dev.finetune.trainer.train.MicroBatchSplit;
import dev.finetune.trainer.train.OptimizerStep;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code bench}: training speed and memory of a real model shape with random weights and synthetic tokens
 * (downloads nothing). Runs warm-up steps, then the timed steps with no intermediate syncs (tokens/s, step time),
 * then one more step with {@link PhaseTimer} syncing after each phase (phases_ms: they add up, at some cost),
 * and prints ONE JSON line with the results and the configuration.
 */
public final class BenchCommand {

    /** Shapes bundled as config.json resources. */
    public static final List<String> SHAPES = Arrays.asList("qwen2.5-0.5b", "qwen2-7b", "llama3-8b");

    /**
     * CPU time of the thread that runs the step: on a CPU device with one intra-op thread (OMP_NUM_THREADS=1)
     * it is the step's host work alone, steadier than wall time on a shared machine.
     */
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private BenchCommand() {}

    /** The benchmark's knobs (flags in kebab-case). */
    public static final class Options {
        public String shape = "qwen2.5-0.5b";
        public int seq = 256;
        public int microBatch = 1;
        public int accumulation = 1;
        public int steps = 3;
        public int warmup = 1;
        public int loraR = 16;
        public String targets = "all-linear";
        /** nf4, fp16 or fp32 base weights. */
        public String quant = "nf4";

        public String device = "cpu";
        /** Layers to build (0 = the shape's own count): a 7B shape's speed per layer fits a small machine. */
        public int layers = 0;

        public long seed = 0;
        /** sdpa or eager attention. */
        public String attnImplementation = "sdpa";
        /**
         * Documents packed into each row, of equal length (the last takes the remainder): 1 measures whole rows,
         * more measures the packed-row attention that training with {@code packing: true} runs.
         */
        public int documents = 1;
        /**
         * Same layers, heads, projections, vocabulary and tokens, but heads of 4 dimensions and an MLP of twice the
         * hidden size: the same ops with negligible arithmetic, so step_s is what the host spends issuing them
         * (Java, DJL, JNI, kernel launches). Compared with the real shape's step_s on the same GPU it tells whether
         * the GPU waits for the host.
         */
        public boolean hostCost = false;
        /**
         * After the timed steps, one more step under PyTorch's profiler: ops_per_step counts the ATen ops it
         * dispatched (nested ones included), top_level_ops_per_step those no other op encloses
         * ({@link OpCounter}). Counts, free of the noise that wall time has on a shared machine.
         */
        public boolean countOps = false;
        /** Rows per micro-batch chosen to fit the device, micro-batch × accumulation rows per step kept. */
        public boolean autoMicroBatch = false;

        public Options validate() {
            check(seq >= 2, "seq", seq, ">= 2");
            check(microBatch >= 1, "micro-batch", microBatch, ">= 1");
            check(documents >= 1 && documents <= seq / 2, "documents", documents, ">= 1 and <= seq / 2");
            check(accumulation >= 1, "accumulation", accumulation, ">= 1");
            check(steps >= 1, "steps", steps, ">= 1");
            check(warmup >= 0, "warmup", warmup, ">= 0");
            check(loraR >= 1, "lora-r", loraR, ">= 1");
            check(
                    quant.equals("nf4") || quant.equals("fp16") || quant.equals("fp32"),
                    "quant",
                    quant,
                    "nf4, fp16 or fp32");
            check(device.matches("cpu|gpu\\d*"), "device", device, "cpu or gpuN");
            check(layers >= 0, "layers", layers, ">= 0 (0 = all of the shape's layers)");
            check(
                    attnImplementation.equals("sdpa") || attnImplementation.equals("eager"),
                    "attn-implementation",
                    attnImplementation,
                    "sdpa or eager");
            return this;
        }

        private static void check(boolean ok, String flag, Object value, String allowed) {
            if (!ok) {
                throw new IllegalArgumentException("--" + flag + " " + value + " is not allowed; expected " + allowed);
            }
        }
    }

    /** Runs the benchmark and returns the JSON line (also printed to {@code out}). */
    public static String run(Options o, PrintStream out) throws IOException {
        o.validate();
        Device device = DeviceChoice.resolve(o.device).device;
        JsonNode cfg = shapeConfig(o.shape, o.layers);
        if (o.hostCost) {
            cfg = hostCostShape(cfg);
        }
        ModelConfig config = ModelConfig.parse(cfg, o.shape);
        DataType compute = o.quant.equals("fp32")
                ? DataType.FLOAT32
                : (device.isGpu() || o.quant.equals("fp16") ? DataType.FLOAT16 : DataType.FLOAT32);
        LinearWeightFactory weights = o.quant.equals("nf4") ? Nf4WeightFactory.defaults() : LinearWeightFactory.DENSE;
        Engine.getInstance().setRandomSeed((int) o.seed);
        double peak = 0;
        long loadStart = System.nanoTime();
        try (GpuMemory.PeakSampler gpuPeak = device.isGpu() ? new GpuMemory.PeakSampler(device) : null;
                NDManager manager = NDManager.newBaseManager(device);
                CausalLM lm = CausalLM.create(
                        config, new RandomTensorSource(config), manager.newSubManager(), compute, weights)) {
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            lm.setAttention(AttentionKernel.parse(o.attnImplementation));
            LoraSettings lora = new LoraSettings(
                    o.loraR, 2.0 * o.loraR, 0.0, false, new ArrayList<>(Arrays.asList(o.targets.split(","))));
            lm.setAdapter(LoraAdapter.initialize(lora, config, manager, o.seed));
            CausalLmTrainable model = new CausalLmTrainable(lm, o.shape);
            long trainable = 0;
            for (NDArray p : model.parameters().values()) {
                trainable += p.size();
            }
            List<MicroBatch> batches = synthetic(o, config.vocabSize);
            long tokensPerStep = (long) o.seq * o.microBatch * o.accumulation;
            LossScaler scaler = compute == DataType.FLOAT16 ? LossScaler.dynamic() : LossScaler.none();
            double firstLoss = Double.NaN;
            double lastLoss = Double.NaN;
            long timedNanos = 0;
            long timedCpuNanos = 0;
            Map<String, Double> phases = new LinkedHashMap<>();
            Map<String, Long> opCounts = null;
            int autoRows = 0;
            PhaseTimer timer = new PhaseTimer();
            lm.setPhaseObserver(timer);
            try (AdamW adamw =
                    new AdamW(manager, new ArrayList<>(model.parameters().values()), 0.9, 0.999, 1e-8, 0.0)) {
                OptimizerStep step =
                        new OptimizerStep(model, GradientSync.local(), scaler, adamw, 1.0).withPhaseObserver(timer);
                if (o.autoMicroBatch) {
                    step.withMicroBatchSplit(
                            MicroBatchSplit.largestFirst(o.microBatch * o.accumulation),
                            m -> System.err.println("auto_micro_batch: " + m));
                }
                for (int i = 0; i < o.warmup + o.steps + 1; i++) {
                    boolean timed = i >= o.warmup && i < o.warmup + o.steps;
                    boolean phased = i == o.warmup + o.steps;
                    if (phased) {
                        timer.enable(true);
                    }
                    long t0 = System.nanoTime();
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    OptimizerStep.Outcome r = step.run(batches, s -> 1e-4);
                    long dt = System.nanoTime() - t0;
                    long dc = THREADS.getCurrentThreadCpuTime() - c0;
                    if (phased) {
                        double sum = 0;
                        for (Map.Entry<PhaseObserver.Phase, Double> e :
                                timer.totalsMillis().entrySet()) {
                            phases.put(e.getKey().key, round(e.getValue()));
                            sum += e.getValue();
                        }
                        phases.put("other", round(phases.get("other") + Math.max(0, dt / 1e6 - sum)));
                        phases.put("step_synced", round(dt / 1e6));
                        timer.disable();
                    }
                    if (timed) {
                        timedNanos += dt;
                        timedCpuNanos += dc;
                    }
                    if (phased && o.countOps) {
                        opCounts = OpCounter.countStep(device, () -> step.run(batches, s -> 1e-4));
                    }
                    autoRows = o.autoMicroBatch ? step.microBatchSplit().rows() : 0;
                    firstLoss = Double.isNaN(firstLoss) ? r.loss : firstLoss;
                    lastLoss = r.loss;
                    double used = MemoryProbe.usedGiB(device);
                    peak = Double.isNaN(used) ? peak : Math.max(peak, used);
                }
            }
            double sampled = device.isGpu() ? gpuPeak.peakGiB() : peakHostGiB(device);
            peak = Double.isNaN(sampled) ? peak : Math.max(peak, sampled);
            double stepSeconds = timedNanos / 1e9 / o.steps;
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("tokens_per_s", round(tokensPerStep / stepSeconds));
            result.put("step_s", round(stepSeconds));
            result.put("step_thread_cpu_s", round(timedCpuNanos / 1e9 / o.steps));
            result.put("peak_mem_gib", device.isGpu() && peak == 0 ? null : round(peak));
            result.put(
                    "peak_mem_of",
                    device.isGpu() ? "GPU memory.used (driver), sampled every 50 ms" : "process peak RSS");
            result.put("phases_ms", phases);
            if (opCounts != null) {
                result.putAll(opCounts);
            }
            result.put("shape", o.shape);
            result.put("layers", config.numLayers);
            result.put("seq", o.seq);
            result.put("micro_batch", o.microBatch);
            if (o.autoMicroBatch) {
                result.put("auto_micro_batch_rows", autoRows);
            }
            result.put("accumulation", o.accumulation);
            result.put("tokens_per_step", tokensPerStep);
            result.put("steps", o.steps);
            result.put("warmup", o.warmup);
            result.put("lora_r", o.loraR);
            result.put("targets", o.targets);
            result.put("trainable_params", trainable);
            result.put("quant", o.quant);
            result.put("compute_dtype", compute.toString().toLowerCase());
            result.put("attn_implementation", lm.attention().configName());
            result.put("host_cost", o.hostCost);
            result.put("hidden_size", config.hiddenSize);
            result.put("device", device.toString());
            result.put(
                    "engine",
                    Engine.getInstance().getEngineName() + " "
                            + Engine.getInstance().getVersion());
            result.put("load_s", round(loadSeconds));
            result.put("loss_first", firstLoss);
            result.put("loss_last", lastLoss);
            String line = new ObjectMapper().writeValueAsString(result);
            out.println(line);
            return line;
        }
    }

    /** A bundled shape by name, or a config.json path; {@code layers > 0} cuts the layer count. */
    static JsonNode shapeConfig(String shape, int layers) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode cfg;
        if (SHAPES.contains(shape)) {
            try (InputStream in = BenchCommand.class.getResourceAsStream("shapes/" + shape + ".json")) {
                cfg = json.readTree(in);
            }
        } else if (Files.isRegularFile(Paths.get(shape))) {
            cfg = json.readTree(new String(Files.readAllBytes(Paths.get(shape)), StandardCharsets.UTF_8));
        } else {
            throw new IllegalArgumentException(
                    "--shape " + shape + " is neither one of " + SHAPES + " nor a config.json file");
        }
        if (layers > 0) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) cfg).put("num_hidden_layers", layers);
        }
        return cfg;
    }

    /** {@link Options#hostCost}'s shape: {@code cfg} with heads of 4 dimensions and an MLP twice the hidden size. */
    static JsonNode hostCostShape(JsonNode cfg) {
        com.fasterxml.jackson.databind.node.ObjectNode small = cfg.deepCopy();
        int heads = cfg.path("num_attention_heads").asInt();
        if (heads <= 0) {
            throw new IllegalArgumentException("--host-cost: the shape has no num_attention_heads");
        }
        int headDim = 4;
        small.put("head_dim", headDim);
        small.put("hidden_size", heads * headDim);
        small.put("intermediate_size", 2 * heads * headDim);
        return small;
    }

    /** {@code documents} per row, every token after each document's first a target; fixed seed. */
    static List<MicroBatch> synthetic(Options o, int vocab) {
        Random rng = new Random(o.seed);
        List<MicroBatch> out = new ArrayList<>();
        for (int m = 0; m < o.accumulation; m++) {
            int n = o.seq * o.microBatch;
            int[] ids = new int[n];
            int[] seg = new int[n];
            byte[] tgt = new byte[n];
            for (int i = 0; i < n; i++) {
                ids[i] = rng.nextInt(vocab);
                int t = i % o.seq;
                int docLength = o.seq / o.documents;
                int doc = Math.min(t / docLength, o.documents - 1);
                seg[i] = 1 + doc;
                tgt[i] = (byte) (t == doc * docLength ? 0 : 1);
            }
            out.add(new MicroBatch(o.microBatch, o.seq, ids, seg, tgt));
        }
        return out;
    }

    /** Peak resident set (VmHWM) on the CPU; the device figure already covers GPUs. */
    private static double peakHostGiB(Device device) {
        if (device.isGpu()) {
            return 0;
        }
        try {
            for (String l : Files.readAllLines(Paths.get("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (l.startsWith("VmHWM:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) / (1024.0 * 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    private static double round(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }
}
