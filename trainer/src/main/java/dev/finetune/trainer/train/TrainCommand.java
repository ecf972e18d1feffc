package dev.finetune.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.finetune.shards.Manifest;
import dev.finetune.tokenize.TextTokenizer;
import dev.finetune.shards.ShardSet;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.lora.LoraSettings;
import dev.finetune.trainer.model.AttentionKernel;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.LinearWeightFactory;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.model.ModelLoader;
import dev.finetune.trainer.nf4.Nf4WeightFactory;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code train} entry point: validated options in, a trained adapter in {@code <output>/<project>/final/}
 * out. Setup order: shards (fail fast on a tokenizer mismatch, before minutes of model loading), device, base
 * model (NF4 or dense), LoRA adapter (peft's initialisation), then {@link Trainer}. Single process
 * ({@link GradientSync#local()}) unless a launcher passes a ring.
 */
public final class TrainCommand {

    private TrainCommand() {
    }

    /** Trains with {@code options} in this process alone; returns the final adapter folder. */
    public static Path run(TrainOptions options, PrintStream console) throws IOException {
        return run(options, GradientSync.local(), console);
    }

    /** Trains as one rank of {@code sync}'s world. */
    public static Path run(TrainOptions options, GradientSync sync, PrintStream console) throws IOException {
        options.validate();
        Configuration conf = new Configuration();
        java.nio.file.Path modelDir = Paths.get(options.baseModelId);
        if (!Files.isRegularFile(modelDir.resolve("config.json"))) {
            throw new IOException("base_model_id = " + options.baseModelId + " is not a model folder (no config.json); "
                + "download the model first (the CLI resolves Hub ids into the cache and passes the folder)");
        }
        Device device = device(options.device);
        DataType compute = computeType(options, device);
        try (ShardSet shards = ShardSet.open(new Path(options.shardsDir), conf);
             NDManager manager = NDManager.newBaseManager(device)) {
            checkTokenizer(shards.manifest(), modelDir, options.shardsDir);
            console.println("resolved options: " + options.toMap());
            LinearWeightFactory weights = Nf4WeightFactory.forBase(options.use4bit, options.doubleQuant);
            LoadOptions load = new LoadOptions(device, compute, weights)
                .withAttention(AttentionKernel.parse(options.attnImplementation));
            try (CausalLM lm = ModelLoader.load(modelDir, load)) {
                if (shards.manifest().tokenizer.vocabSize > lm.config.vocabSize) {
                    throw new IOException(options.shardsDir + "/manifest.json: tokenizer vocabulary "
                        + shards.manifest().tokenizer.vocabSize + " exceeds the model's vocab_size "
                        + lm.config.vocabSize + " (" + modelDir + "/config.json); the shards were made for another model");
                }
                LoraSettings lora = new LoraSettings(options.loraR, options.loraAlpha, options.loraDropout,
                    options.useRslora, options.resolvedTargetModules());
                lm.setAdapter(LoraAdapter.initialize(lora, lm.config, manager, options.seed));
                CausalLmTrainable model = new CausalLmTrainable(lm, options.baseModelId);
                RowSource train = new ShardRowSource(shards, "train");
                RowSource validation = shards.hasSplit("validation") ? new ShardRowSource(shards, "validation") : null;
                OutputLocation out = OutputLocation.of(options.baseSaveDir, options.projectName, conf);
                FinalSave finalSave = new FinalSave(modelDir, options.baseModelId, summary(shards.manifest()));
                Trainer trainer = new Trainer(options, model, train, validation, sync, out, manager,
                    compute == DataType.FLOAT16, finalSave, console);
                Trainer.Result result = trainer.run();
                console.printf(Locale.ROOT, "done: %d steps, %d skipped; %s%n", result.lastStep, result.skippedSteps,
                    result.finalDir != null ? "adapter in " + result.finalDir : "rank 0 saved the adapter");
                return result.finalDir;
            }
        }
    }

    /** {@code cpu}, {@code gpu} / {@code gpuN}, or {@code auto} (the first GPU when DJL sees one). */
    static Device device(String name) {
        if ("auto".equals(name)) {
            return Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
        }
        if ("cpu".equals(name)) {
            return Device.cpu();
        }
        int id = "gpu".equals(name) ? 0 : Integer.parseInt(name.substring(3));
        if (id >= Engine.getInstance().getGpuCount()) {
            throw new IllegalArgumentException("device = " + name + " but DJL sees " + Engine.getInstance().getGpuCount()
                + " GPUs: DJL finds GPUs through libcudart; put the CUDA runtime's folder on LD_LIBRARY_PATH or set"
                + " FINETUNE_JAVA_OPTS=-Djna.library.path=<that folder>");
        }
        return Device.gpu(id);
    }

    static DataType computeType(TrainOptions o, Device device) {
        String dt = o.computeDtype.toLowerCase(Locale.ROOT);
        if ("fp16".equals(dt)) {
            return DataType.FLOAT16;
        }
        if ("fp32".equals(dt)) {
            return DataType.FLOAT32;
        }
        return device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
    }

    /** The shards must come from this model's tokenizer (same tokenizer.json bytes). */
    static void checkTokenizer(Manifest manifest, java.nio.file.Path modelDir, String shardsDir) throws IOException {
        java.nio.file.Path json = modelDir.resolve("tokenizer.json");
        String want = manifest.tokenizer.fingerprint;
        if (want == null || !Files.isRegularFile(json)) {
            return; // tokenizer-less checkpoints (test models) or shards made from ids: nothing to compare
        }
        String got = TextTokenizer.fingerprintOf(Files.readAllBytes(json));
        if (!got.equalsIgnoreCase(want)) {
            throw new IOException(shardsDir + "/manifest.json: tokenizer fingerprint " + want + " but " + json
                + " hashes to " + got + "; the shards were tokenized for another model: re-run prepare with "
                + "base_model_id = " + modelDir);
        }
    }

    private static Map<String, Object> summary(Manifest m) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("template", m.template.kind);
        s.put("max_seq_length", m.maxSeqLength);
        s.put("packing", m.packing);
        for (Map.Entry<String, Manifest.Split> e : m.splits.entrySet()) {
            Manifest.Split sp = e.getValue();
            s.put(e.getKey(), String.format(Locale.ROOT, "%d documents, %d rows, %d tokens (%d trained on), "
                    + "packing efficiency %.3f, %d truncated", sp.documents, sp.rows, sp.tokens, sp.lossTokens,
                sp.packingEfficiency, sp.truncatedDocuments));
        }
        s.put("tokenizer_fingerprint", m.tokenizer.fingerprint);
        s.put("source", m.source);
        return s;
    }

    /** {@code java ... TrainCommand config.yaml [--key value ...]}: for runs without the CLI launcher. */
    public static void main(String[] args) throws Exception {
        Map<String, Object> values = new LinkedHashMap<>();
        int i = 0;
        if (args.length > 0 && !args[0].startsWith("--")) {
            com.fasterxml.jackson.databind.ObjectMapper yaml =
                new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
            @SuppressWarnings("unchecked")
            Map<String, Object> file = yaml.readValue(new String(Files.readAllBytes(Paths.get(args[0])),
                StandardCharsets.UTF_8), Map.class);
            values.putAll(file);
            i = 1;
        }
        for (; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("ERROR expected --key value pairs after the config file, got '" + args[i] + "'");
                System.exit(2);
            }
            values.put(args[i].substring(2).replace('-', '_'), args[i + 1]);
        }
        run(TrainOptions.fromMap(values), System.out);
    }
}
