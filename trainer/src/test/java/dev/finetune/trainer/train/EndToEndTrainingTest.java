package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.config.RunConfig;
import dev.finetune.shards.Manifest;
import dev.finetune.shards.ShardFormat;
import dev.finetune.shards.ShardRow;
import dev.finetune.shards.ShardSet;
import dev.finetune.shards.ShardWriter;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.lora.LoraSettings;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.Goldens;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.model.ModelLoader;
import dev.finetune.trainer.model.TrainingBatch;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards of fixture text (UTF-8 bytes + 3 as token ids) → the tiny reference Llama (vocab 512) → LoRA training:
 * the loss falls, final/ holds a peft-layout adapter whose config has peft's fields and whose tensors have the
 * reference adapter's keys and shapes, and loading it back gives exactly the trained model's logits.
 */
public class EndToEndTrainingTest {

    private static final int L = 32;

    @TempDir
    java.nio.file.Path tmp;

    public static void writeShards(java.nio.file.Path dir, int trainRows, int validationRows) throws Exception {
        java.nio.file.Path text = java.nio.file.Paths.get(System.getProperty("fixtures.dir"), "text", "en_botchan.txt");
        byte[] bytes = Files.readAllBytes(text);
        Configuration conf = new Configuration();
        Manifest m = new Manifest();
        m.maxSeqLength = L;
        int offset = 0;
        for (String split : new String[] {"train", "validation"}) {
            int rows = split.equals("train") ? trainRows : validationRows;
            Manifest.Split s = new Manifest.Split();
            String rel = ShardFormat.shardPath(split, 0);
            try (ShardWriter w = new ShardWriter(new Path(dir.toString(), rel), conf, L, rows)) {
                for (int r = 0; r < rows; r++) {
                    int[] ids = new int[L];
                    int[] seg = new int[L];
                    byte[] tgt = new byte[L];
                    int cut = 10 + r % 13; // two documents per row, so masks and position restarts are exercised
                    for (int t = 0; t < L; t++) {
                        ids[t] = (bytes[offset++] & 0xFF) + 3;
                        seg[t] = t < cut ? 1 : 2;
                        tgt[t] = (byte) (t == 0 || t == cut ? 0 : 1);
                        s.tokens++;
                        s.lossTokens += tgt[t];
                    }
                    w.write(new ShardRow(ids, seg, tgt));
                }
                w.close();
                s.shards.add(w.describe(rel));
            }
            s.rows = rows;
            m.splits.put(split, s);
        }
        m.write(new Path(dir.resolve(ShardFormat.MANIFEST).toString()), conf);
        Files.createFile(dir.resolve(ShardFormat.SUCCESS));
    }

    private TrainOptions options(java.nio.file.Path base, java.nio.file.Path shards) {
        return options(base, shards, config());
    }

    private static TrainOptions options(java.nio.file.Path base, java.nio.file.Path shards, RunConfig c) {
        return TrainOptions.of(c, base.toString(), shards.toString()).withEvalMaxRows(4);
    }

    private RunConfig config() {
        RunConfig o = new RunConfig();
        o.projectName = "e2e";
        o.baseSaveDir = tmp.resolve("out").toString();
        o.loraR = 8;
        o.loraAlpha = 16;
        o.loraDropout = 0.0;
        o.loraTargetModules = new ArrayList<>(Arrays.asList("all-linear"));
        o.batchSize = 2;
        o.gradientAccumulationSteps = 2;
        o.learningRate = 1e-2;
        o.warmupSteps = 1;
        o.maxSteps = 10;
        o.loggingSteps = 5;
        o.saveSteps = 5;
        o.evalSteps = 5;
        o.use4bit = false;
        o.device = "cpu";
        return o;
    }

    @Test
    void lossFallsOnFixtureTextAndTheSavedAdapterIsPeftsLayoutAndGivesTheSameLogits() throws Exception {
        java.nio.file.Path reference = Goldens.fixturesModels().resolve("llama");
        java.nio.file.Path shards = tmp.resolve("shards");
        writeShards(shards, 40, 4);
        TrainOptions o = options(reference.resolve("base"), shards);
        Configuration conf = new Configuration();
        try (ShardSet set = ShardSet.open(new Path(shards.toString()), conf);
                CausalLM lm = ModelLoader.load(reference.resolve("base"), LoadOptions.on(Device.cpu()));
                NDManager manager = lm.manager().newSubManager()) {
            LoraSettings lora = new LoraSettings(
                    o.lora.loraR, o.lora.loraAlpha, o.lora.loraDropout, false, o.resolvedTargetModules());
            lm.setAdapter(LoraAdapter.initialize(lora, lm.config, manager, o.training.seed));
            CausalLmTrainable model = new CausalLmTrainable(lm, "../base");
            MicroBatch held = MicroBatch.read(new ShardRowSource(set, "validation"), new long[] {0, 1, 2, 3});
            double before = model.lossSum(held) / held.targetCount();
            Trainer trainer = new Trainer(
                    o,
                    model,
                    new ShardRowSource(set, "train"),
                    new ShardRowSource(set, "validation"),
                    GradientSync.local(),
                    OutputLocation.of(o.baseSaveDir, o.projectName, conf),
                    manager,
                    false,
                    new FinalSave(reference.resolve("base"), "../base", null),
                    new PrintStream(new ByteArrayOutputStream()));
            Trainer.Result r = trainer.run();
            assertEquals(10, r.losses.size());
            double after = model.lossSum(held) / held.targetCount();
            assertTrue(after < before - 0.05, "held-out loss should fall: before " + before + ", after " + after);

            java.nio.file.Path fin = tmp.resolve("out").resolve("e2e").resolve("final");
            Set<String> files = new TreeSet<>();
            try (java.util.stream.Stream<java.nio.file.Path> s = Files.list(fin)) {
                s.forEach(p -> files.add(p.getFileName().toString()));
            }
            assertEquals(
                    new TreeSet<>(Arrays.asList(
                            "README.md", "adapter_config.json", "adapter_model.safetensors", "config.json")),
                    files);
            assertPeftConfig(
                    reference.resolve("adapter").resolve("adapter_config.json"), fin.resolve("adapter_config.json"));
            assertSameTensorLayout(
                    reference.resolve("adapter").resolve("adapter_model.safetensors"),
                    fin.resolve("adapter_model.safetensors"));
            String card = new String(Files.readAllBytes(fin.resolve("README.md")), StandardCharsets.UTF_8);
            assertTrue(
                    card.startsWith("---\nbase_model: ../base\nlibrary_name: peft\npipeline_tag: text-generation\n"
                            + "tags:\n- base_model:adapter:../base\n- lora\n- transformers\n---\n"),
                    card);
            assertTrue(card.contains("learning_rate: 0.01") && card.contains("### Framework versions"), card);
            // the model card records the run's final validation loss, the one the metrics log has last
            double lastEval = Double.NaN;
            for (String l : Files.readAllLines(tmp.resolve("out/e2e/logs/metrics-0.jsonl"))) {
                if (l.contains("\"kind\":\"eval\"")) {
                    lastEval = new com.fasterxml.jackson.databind.ObjectMapper()
                            .readTree(l)
                            .get("loss")
                            .asDouble();
                }
            }
            assertEquals(r.lastEvalLoss, lastEval, 0.0);
            assertTrue(
                    card.contains(String.format(java.util.Locale.ROOT, "- final validation loss: %.4f", lastEval)),
                    card);

            TrainingBatch batch = CausalLmTrainable.toTrainingBatch(
                    MicroBatch.read(new ShardRowSource(set, "validation"), new long[] {0, 1}));
            float[] trained = lm.logits(manager, batch).toFloatArray();
            try (CausalLM reloaded = ModelLoader.load(reference.resolve("base"), LoadOptions.on(Device.cpu()));
                    NDManager scope = reloaded.manager().newSubManager()) {
                reloaded.setAdapter(LoraAdapter.load(fin, reloaded.config, scope, false));
                assertArrayEquals(
                        trained, reloaded.logits(scope, batch).toFloatArray(), 0f, "logits of the reloaded adapter");
            }
        }
    }

    @Test
    void theTrainCommandRunsFromOptionsToAFinalAdapter() throws Exception {
        java.nio.file.Path reference = Goldens.fixturesModels().resolve("qwen2");
        java.nio.file.Path shards = tmp.resolve("shards");
        writeShards(shards, 16, 0);
        RunConfig c = config();
        c.maxSteps = 2;
        c.evalSteps = 0;
        c.use4bit = true; // NF4 base on CPU: the QLoRA path end to end
        TrainOptions o = options(reference.resolve("base"), shards, c);
        Path fin = TrainCommand.train(o, new PrintStream(new ByteArrayOutputStream())).finalDir;
        java.nio.file.Path local = java.nio.file.Paths.get(fin.toUri());
        try (SafetensorsFile f = SafetensorsFile.open(local.resolve("adapter_model.safetensors"))) {
            assertEquals(2 * 7 * 2, f.names().size(), "A and B for 7 projections of 2 layers");
            assertEquals("pt", f.metadata().get("format"));
        }
    }

    /**
     * Field by field against peft 0.21's own file: every field we write is one peft writes, with the same JSON
     * type and, where this run's settings equal the reference's, the same value. The fields peft added after
     * 0.13 are left out on purpose (LoraSettings.write): peft before 0.14 refuses unknown keys, and every newer
     * peft fills absent fields with their defaults (docs/formats.md).
     */
    private static void assertPeftConfig(java.nio.file.Path referenceFile, java.nio.file.Path ours) throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode ref = json.readTree(referenceFile.toFile());
        JsonNode got = json.readTree(ours.toFile());
        for (Iterator<String> it = got.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            assertTrue(ref.has(k), "adapter_config.json field " + k + " is not one peft writes");
            assertEquals(ref.get(k).getNodeType(), got.get(k).getNodeType(), "type of " + k);
        }
        for (String k : new String[] {
            "peft_type",
            "task_type",
            "base_model_name_or_path",
            "bias",
            "fan_in_fan_out",
            "inference_mode",
            "init_lora_weights",
            "use_dora",
            "use_rslora",
            "revision",
            "lora_alpha",
            "r",
            "lora_dropout",
            "rank_pattern",
            "alpha_pattern",
            "modules_to_save",
            "layers_to_transform"
        }) {
            assertEquals(ref.get(k), got.get(k), "value of " + k);
        }
        assertEquals(8, got.get("r").asInt());
        assertEquals(16, got.get("lora_alpha").asInt());
        assertEquals("LORA", got.get("peft_type").asText());
        assertEquals("CAUSAL_LM", got.get("task_type").asText());
        Set<String> targets = new TreeSet<>();
        got.get("target_modules").forEach(n -> targets.add(n.asText()));
        Set<String> refTargets = new TreeSet<>();
        ref.get("target_modules").forEach(n -> refTargets.add(n.asText()));
        assertEquals(refTargets, targets, "all-linear resolves to the seven projections, as peft saves it");
    }

    private static void assertSameTensorLayout(java.nio.file.Path referenceFile, java.nio.file.Path ours)
            throws Exception {
        try (SafetensorsFile ref = SafetensorsFile.open(referenceFile);
                SafetensorsFile got = SafetensorsFile.open(ours)) {
            assertEquals(new TreeSet<>(ref.names()), new TreeSet<>(got.names()), "tensor keys");
            for (String k : ref.names()) {
                assertArrayEquals(ref.info(k).shape(), got.info(k).shape(), k);
                assertEquals(ref.info(k).dtype(), got.info(k).dtype(), k);
            }
            assertEquals(ref.metadata(), got.metadata());
        }
    }
}
