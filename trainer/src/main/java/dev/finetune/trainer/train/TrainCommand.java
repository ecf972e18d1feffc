package dev.finetune.trainer.train;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.finetune.config.ConfigException;
import dev.finetune.shards.Manifest;
import dev.finetune.shards.ShardSet;
import dev.finetune.tokenize.TextTokenizer;
import dev.finetune.trainer.device.DeviceChoice;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.lora.LoraSettings;
import dev.finetune.trainer.model.AttentionKernel;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.LinearWeightFactory;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.model.ModelLoader;
import dev.finetune.trainer.nf4.Nf4WeightFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The {@code train} entry point: validated options in, a trained adapter in {@code <output>/<project>/final/}
 * out. Setup order: shards (fail fast on a tokenizer mismatch, before minutes of model loading), device, base
 * model (NF4 or dense), LoRA adapter (peft's initialisation), then {@link Trainer}. Single process
 * ({@link GradientSync#local()}) unless a launcher passes a ring.
 */
public final class TrainCommand {

    private TrainCommand() {}

    /**
     * The options a configuration key or flag sets, as the user writes them (what the console shows); fixed
     * internals (AdamW's betas and epsilon, the evaluation row cap) are left out here and kept in checkpoints.
     */
    static java.util.Map<String, Object> settable(TrainOptions options) {
        java.util.Map<String, Object> shown = new java.util.LinkedHashMap<>(options.toMap());
        shown.keySet().removeIf(k -> !dev.finetune.config.ConfigSchema.get().has(k));
        return shown;
    }

    /** Trains with {@code options} in this process alone; returns what the run did and wrote. */
    public static Trainer.Result train(TrainOptions options, PrintStream console) throws IOException {
        return train(options, GradientSync.local(), console);
    }

    /**
     * Trains as one rank of {@code sync}'s world; returns what this run did (its own steps and losses, as its metrics
     * file holds them) and, on rank 0, where it wrote the final adapter, the checkpoints and the metrics.
     */
    public static Trainer.Result train(TrainOptions options, GradientSync sync, PrintStream console)
            throws IOException {
        Configuration conf = new Configuration();
        java.nio.file.Path modelDir = Paths.get(options.baseModelId);
        if (!Files.isRegularFile(modelDir.resolve("config.json"))) {
            throw new IOException("base_model_id = " + options.baseModelId + " is not a model folder (no config.json); "
                    + "download the model first (the CLI resolves Hub ids into the cache and passes the folder)");
        }
        DeviceChoice choice = DeviceChoice.resolve(options.device);
        console.println(choice.describe());
        Device device = choice.device;
        DataType compute = computeType(options, device);
        try (ShardSet shards = ShardSet.open(new Path(options.shardsDir), conf);
                NDManager manager = NDManager.newBaseManager(device)) {
            checkTokenizer(shards.manifest(), modelDir, options.shardsDir);
            requireTrainedTokens(shards.manifest(), options.shardsDir);
            shards.verifyChecksums(); // ShardFormatException: one line naming the shard and `prepare --overwrite`
            console.println("settings: " + settable(options));
            LinearWeightFactory weights = Nf4WeightFactory.forBase(options.model.use4bit, options.model.doubleQuant);
            LoadOptions load = new LoadOptions(device, compute, weights)
                    .withAttention(AttentionKernel.parse(options.model.attnImplementation));
            try (CausalLM lm = ModelLoader.load(modelDir, load)) {
                if (shards.manifest().tokenizer.vocabSize > lm.config.vocabSize) {
                    throw new IOException(options.shardsDir + "/manifest.json: tokenizer vocabulary "
                            + shards.manifest().tokenizer.vocabSize + " exceeds the model's vocab_size "
                            + lm.config.vocabSize + " (" + modelDir
                            + "/config.json); the shards were made for another model");
                }
                LoraSettings lora = new LoraSettings(
                        options.lora.loraR,
                        options.lora.loraAlpha,
                        options.lora.loraDropout,
                        options.lora.useRslora,
                        options.resolvedTargetModules());
                lm.setAdapter(LoraAdapter.initialize(lora, lm.config, manager, options.training.seed));
                CausalLmTrainable model = new CausalLmTrainable(lm, options.baseModelId);
                RowSource train = new ShardRowSource(shards, "train");
                RowSource validation = shards.hasSplit("validation") ? new ShardRowSource(shards, "validation") : null;
                OutputLocation out = OutputLocation.of(options.baseSaveDir, options.projectName, conf);
                FinalSave finalSave = new FinalSave(modelDir, options.baseModelId, summary(shards.manifest()));
                Trainer trainer = new Trainer(
                        options,
                        model,
                        train,
                        validation,
                        sync,
                        out,
                        manager,
                        compute == DataType.FLOAT16,
                        finalSave,
                        console);
                Map<String, Object> sources = new LinkedHashMap<>();
                sources.put("data", dataFingerprint(shards.manifest()));
                sources.put("max_seq_length", shards.manifest().maxSeqLength);
                sources.put("model", modelFingerprint(modelDir));
                Trainer.Result result = trainer.trainedFrom(sources).run();
                console.printf(
                        Locale.ROOT,
                        "done: %d steps, %d skipped; %s%n",
                        result.lastStep,
                        result.skippedSteps,
                        result.finalDir != null ? "adapter in " + result.finalDir : "rank 0 saved the adapter");
                if (result.finalDir != null) {
                    String logs = "file".equals(out.logs().toUri().getScheme())
                            ? out.logs().toUri().getPath()
                            : out.logs().toString();
                    console.println("logs: " + logs + " (metrics-<first step>.jsonl, loss_curve.png, TensorBoard "
                            + "events: tensorboard --logdir " + logs + ")");
                }
                return result;
            }
        }
    }

    static DataType computeType(TrainOptions o, Device device) {
        String dt = o.model.computeDtype.toLowerCase(Locale.ROOT);
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

    /** Training on shards without a single trained token would publish an untrained adapter: refused. */
    static void requireTrainedTokens(Manifest m, String shardsDir) {
        Manifest.Split train = m.splits.get("train");
        if (train == null || train.lossTokens == 0) {
            throw new ConfigException(shardsDir + "/manifest.json: the train split has "
                    + (train == null ? "no rows" : train.rows + " rows but 0 trained tokens") + ", so training would "
                    + "change nothing; check train_on and the data's assistant turns with `jobs/finetune inspect`, then "
                    + "re-run prepare --overwrite");
        }
    }

    /**
     * The shards' identity: every split's shard names, row counts and sha256s, the row length, the tokenizer and
     * template; not when or by which command they were made (the same data prepared twice has one fingerprint).
     */
    static String dataFingerprint(Manifest m) {
        StringBuilder sb = new StringBuilder();
        sb.append("max_seq_length=")
                .append(m.maxSeqLength)
                .append(";packing=")
                .append(m.packing)
                .append(";tokenizer=")
                .append(m.tokenizer.fingerprint)
                .append(";template=")
                .append(m.template.sha256);
        for (Map.Entry<String, Manifest.Split> e : new java.util.TreeMap<>(m.splits).entrySet()) {
            sb.append(";split=").append(e.getKey());
            for (Manifest.Shard shard : e.getValue().shards) {
                sb.append(';')
                        .append(shard.file)
                        .append(':')
                        .append(shard.rows)
                        .append(':')
                        .append(shard.sha256);
            }
        }
        return sha256Hex(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The base model's identity without reading its weights: config.json's bytes, the safetensors index's bytes
     * and every safetensors file's name and size.
     */
    static String modelFingerprint(java.nio.file.Path modelDir) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String name : new String[] {"config.json", "model.safetensors.index.json"}) {
            java.nio.file.Path f = modelDir.resolve(name);
            if (Files.isRegularFile(f)) {
                sb.append(name)
                        .append('=')
                        .append(sha256Hex(Files.readAllBytes(f)))
                        .append(';');
            }
        }
        try (java.util.stream.Stream<java.nio.file.Path> files = Files.list(modelDir)) {
            files.filter(f -> f.getFileName().toString().endsWith(".safetensors"))
                    .sorted()
                    .forEach(f -> {
                        try {
                            sb.append(f.getFileName())
                                    .append(':')
                                    .append(Files.size(f))
                                    .append(';');
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
        }
        return sha256Hex(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String sha256Hex(byte[] bytes) {
        try {
            return Manifest.hex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> summary(Manifest m) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("template", m.template.kind);
        s.put("max_seq_length", m.maxSeqLength);
        s.put("packing", m.packing);
        for (Map.Entry<String, Manifest.Split> e : m.splits.entrySet()) {
            Manifest.Split sp = e.getValue();
            s.put(
                    e.getKey(),
                    String.format(
                            Locale.ROOT,
                            "%d documents, %d rows, %d tokens (%d trained on), "
                                    + "packing efficiency %.3f, %d truncated",
                            sp.documents,
                            sp.rows,
                            sp.tokens,
                            sp.lossTokens,
                            sp.packingEfficiency,
                            sp.truncatedDocuments));
        }
        s.put("tokenizer_fingerprint", m.tokenizer.fingerprint);
        s.put("source", m.source);
        return s;
    }

    /** {@code java ... TrainCommand config.yaml [--key value ...]}: for runs without the CLI launcher. */
    public static void main(String[] args) throws Exception {
        Map<String, String> overrides = new LinkedHashMap<>();
        int i = 0;
        java.nio.file.Path file = null;
        if (args.length > 0 && !args[0].startsWith("--")) {
            file = Paths.get(args[0]);
            i = 1;
        }
        for (; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("ERROR expected --key value pairs after the config file, got '" + args[i] + "'");
                System.exit(2);
            }
            overrides.put(args[i].substring(2).replace('-', '_'), args[i + 1]);
        }
        dev.finetune.config.RunConfig c = dev.finetune.config.ConfigLoader.load(file, overrides);
        train(TrainOptions.of(c, c.baseModelId, c.resolvedShardsDir()), System.out);
    }
}
