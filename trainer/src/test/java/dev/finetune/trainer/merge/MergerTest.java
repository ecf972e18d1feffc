package dev.finetune.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.config.ConfigException;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.Goldens;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.model.ModelLoader;
import dev.finetune.trainer.model.TrainingBatch;
import dev.finetune.trainer.safetensors.Half;
import dev.finetune.trainer.safetensors.SafetensorsCheckpoint;
import dev.finetune.trainer.safetensors.SafetensorsDType;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import dev.finetune.trainer.safetensors.SafetensorsWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Merged models equal peft's merge_and_unload, load back, and are published as transformers lays them out. */
class MergerTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @TempDir
    Path tmp;

    static MergeCommand command(Path family, Path output, OutputDtype dtype) {
        MergeCommand m = new MergeCommand();
        m.model = family.resolve("base");
        m.adapter = family.resolve("adapter").toString();
        m.output = output.toString();
        m.dtype = dtype;
        return m;
    }

    static Merger.Result merge(MergeCommand m) throws Exception {
        return Merger.run(m, new Configuration(), QUIET);
    }

    static Path family(String name) {
        for (Path f : Goldens.families()) {
            if (f.getFileName().toString().equals(name)) {
                return f;
            }
        }
        throw new IllegalStateException("no reference family " + name + " in " + Goldens.families());
    }

    /**
     * The adapter merged.safetensors was made from: make_goldens.py calls merge_and_unload() after the three
     * optimizer steps, so the merged weights hold the LoRA weights of train_steps3.safetensors (same peft keys),
     * not those of adapter/. A folder with adapter/'s config and those weights.
     */
    Path trainedAdapter(Path fam) throws Exception {
        Path dir = tmp.resolve(fam.getFileName() + "-trained-adapter");
        Files.createDirectories(dir);
        Files.copy(fam.resolve("adapter/adapter_config.json"), dir.resolve("adapter_config.json"));
        Files.copy(fam.resolve("train_steps3.safetensors"), dir.resolve("adapter_model.safetensors"));
        return dir;
    }

    MergeCommand referenceMerge(Path fam, Path output, OutputDtype dtype) throws Exception {
        MergeCommand m = command(fam, output, dtype);
        m.adapter = trainedAdapter(fam).toString();
        return m;
    }

    @Test
    void fp32MergeEqualsPeftsMergeAndUnloadForEveryFamily() throws Exception {
        StringBuilder report = new StringBuilder();
        for (Path fam : Goldens.families()) {
            Path out = tmp.resolve(fam.getFileName() + "-fp32");
            merge(referenceMerge(fam, out, OutputDtype.FP32));
            double worst = 0;
            try (SafetensorsCheckpoint ours = SafetensorsCheckpoint.open(out);
                    SafetensorsFile peft = SafetensorsFile.open(fam.resolve("merged.safetensors"))) {
                // same tensors: a tied head is absent from both
                assertEquals(new TreeSet<>(peft.names()), new TreeSet<>(ours.names()), fam.toString());
                for (String k : peft.names()) {
                    assertEquals(SafetensorsDType.F32, ours.info(k).dtype(), k);
                    float[] want = peft.readFloats(k);
                    float[] got = ours.readFloats(k);
                    double d = maxAbsDiff(got, want);
                    worst = Math.max(worst, d);
                    assertTrue(
                            d <= 1e-5,
                            fam.getFileName() + " " + k + " max abs diff " + d + " got " + Goldens.head(got) + " want "
                                    + Goldens.head(want));
                }
            }
            report.append(fam.getFileName())
                    .append(" fp32 max abs diff ")
                    .append(worst)
                    .append('\n');
        }
        System.out.print(report);
    }

    @Test
    void bf16MergeIsTheFp32ReferenceRoundedToBf16WithinOneUlp() throws Exception {
        for (Path fam : Goldens.families()) {
            Path out = tmp.resolve(fam.getFileName() + "-bf16");
            merge(referenceMerge(fam, out, OutputDtype.BF16));
            int worstUlps = 0;
            try (SafetensorsFile ours = SafetensorsFile.open(out.resolve(ShardPlan.SINGLE_FILE));
                    SafetensorsFile peft = SafetensorsFile.open(fam.resolve("merged.safetensors"))) {
                assertEquals(new TreeSet<>(peft.names()), new TreeSet<>(ours.names()));
                for (String k : peft.names()) {
                    assertEquals(SafetensorsDType.BF16, ours.info(k).dtype(), k);
                    float[] want = peft.readFloats(k);
                    float[] got = ours.readFloats(k);
                    for (int i = 0; i < want.length; i++) {
                        int expected = roundToBf16Bits(want[i]);
                        int actual = Float.floatToRawIntBits(got[i]) >>> 16;
                        int ulps = Math.abs(orderedBf16(actual) - orderedBf16(expected));
                        worstUlps = Math.max(worstUlps, ulps);
                        if (ulps > 1) {
                            fail(fam.getFileName() + " " + k + "[" + i + "] = " + got[i]
                                    + ", reference rounded to bf16 = " + Half.bf16ToFloat((short) expected));
                        }
                    }
                }
            }
            System.out.println(fam.getFileName() + " bf16 worst ulps vs rounded reference: " + worstUlps);
        }
    }

    /** Round to nearest even, written out independently of {@link Half}. */
    static int roundToBf16Bits(float v) {
        int bits = Float.floatToRawIntBits(v);
        int lower = bits & 0xFFFF;
        int upper = bits >>> 16;
        if (lower > 0x8000 || (lower == 0x8000 && (upper & 1) == 1)) {
            upper++;
        }
        return upper & 0xFFFF;
    }

    /** BF16 bits → an integer that orders like the value, so neighbours differ by 1. */
    static int orderedBf16(int bits) {
        return (bits & 0x8000) != 0 ? -(bits & 0x7FFF) : bits;
    }

    @Test
    void aSmallMaxShardSizeGivesWellFormedShardsAndAnIndexCoveringEveryTensorOnce() throws Exception {
        Path fam = family("llama");
        Path out = tmp.resolve("sharded");
        MergeCommand m = referenceMerge(fam, out, OutputDtype.FP32);
        m.maxShardBytes = MergeCommand.parseSize("150KB");
        merge(m);

        JsonNode index =
                new ObjectMapper().readTree(out.resolve(ShardPlan.INDEX_FILE).toFile());
        List<String> shardFiles;
        try (Stream<Path> s = Files.list(out)) {
            shardFiles = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".safetensors"))
                    .sorted()
                    .collect(Collectors.toList());
        }
        int n = shardFiles.size();
        assertTrue(n >= 3, "expected several shards for 630 KB at 150 KB each, got " + shardFiles);
        assertFalse(shardFiles.contains(ShardPlan.SINGLE_FILE));
        Map<String, String> seen = new HashMap<>();
        long totalSize = 0;
        long totalElements = 0;
        for (int i = 0; i < n; i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, n);
            assertEquals(name, shardFiles.get(i));
            long shardBytes = 0;
            try (SafetensorsFile f = SafetensorsFile.open(out.resolve(name))) {
                assertEquals("pt", f.metadata().get("format"));
                for (String t : f.names()) {
                    assertEquals(null, seen.put(t, name), t + " is in two shards");
                    assertEquals(name, index.path("weight_map").path(t).asText(), "index entry of " + t);
                    long bytes = f.info(t).end() - f.info(t).begin();
                    shardBytes += bytes;
                    totalElements += f.info(t).size();
                }
                assertTrue(
                        shardBytes <= m.maxShardBytes || f.names().size() == 1,
                        name + " holds " + shardBytes + " bytes of tensors, over the limit " + m.maxShardBytes);
            }
            totalSize += shardBytes;
        }
        assertEquals(seen.size(), index.path("weight_map").size(), "index entries vs tensors in the shards");
        assertEquals(totalSize, index.path("metadata").path("total_size").asLong());
        assertEquals(
                totalElements, index.path("metadata").path("total_parameters").asLong());
        try (SafetensorsFile peft = SafetensorsFile.open(fam.resolve("merged.safetensors"))) {
            assertEquals(new TreeSet<>(peft.names()), new TreeSet<>(seen.keySet()));
        }
        // the index is what transformers writes: json.dumps(indent=2, sort_keys=True) + "\n"
        String text = new String(Files.readAllBytes(out.resolve(ShardPlan.INDEX_FILE)), StandardCharsets.UTF_8);
        assertTrue(text.startsWith("{\n  \"metadata\": {\n    \"total_parameters\": "), text);
        assertTrue(text.endsWith("\n  }\n}\n"));
        List<String> keys = new ArrayList<>();
        index.path("weight_map").fieldNames().forEachRemaining(keys::add);
        List<String> sorted = new ArrayList<>(keys);
        sorted.sort(null);
        assertEquals(sorted, keys);
    }

    @Test
    void theFp32MergedFolderLoadsAndGivesTheLogitsOfBasePlusAdapter() throws Exception {
        for (Path fam : Goldens.families()) {
            Path out = tmp.resolve(fam.getFileName() + "-logits");
            MergeCommand m = command(fam, out, OutputDtype.FP32);
            m.maxShardBytes = 200_000; // and through the sharded loader
            merge(m);
            try (CausalLM model = ModelLoader.load(out, LoadOptions.on(Device.cpu()));
                    SafetensorsFile inputs = SafetensorsFile.open(fam.resolve("inputs.safetensors"));
                    SafetensorsFile lora = SafetensorsFile.open(fam.resolve("logits_lora.safetensors"));
                    NDManager scope = model.manager().newSubManager()) {
                float[] got = model.logits(scope, batch(inputs)).toFloatArray();
                float[] want = lora.readFloats("logits");
                double rel = Goldens.relativeDiff(got, want);
                System.out.println(fam.getFileName() + " merged-model logits rel diff vs base+adapter: " + rel);
                assertTrue(
                        rel < 1e-4,
                        fam.getFileName() + " rel " + rel + " got " + Goldens.head(got) + " want "
                                + Goldens.head(want));
            }
        }
    }

    static TrainingBatch batch(SafetensorsFile inputs) throws Exception {
        long[] ids = inputs.readLongs("input_ids");
        long[] shape = inputs.info("input_ids").shape();
        long[] seg = new long[ids.length];
        Arrays.fill(seg, 1);
        return TrainingBatch.of((int) shape[0], (int) shape[1], ids, seg, new boolean[ids.length]);
    }

    @Test
    void configKeepsTheBasesStyleWithTheOutputDtypeAndTheOtherFilesAreCopied() throws Exception {
        Path qwen3 = family("qwen3"); // transformers 5 style: "dtype"
        Path out = tmp.resolve("qwen3");
        merge(command(qwen3, out, OutputDtype.FP16));
        String base = new String(Files.readAllBytes(qwen3.resolve("base/config.json")), StandardCharsets.UTF_8);
        String merged = new String(Files.readAllBytes(out.resolve("config.json")), StandardCharsets.UTF_8);
        assertEquals(base.replace("\"dtype\": \"bfloat16\"", "\"dtype\": \"float16\""), merged);
        assertFalse(merged.contains("torch_dtype"));
        assertEquals(Arrays.asList("config.json", "generation_config.json", "model.safetensors"), listing(out));
        assertTrue(Arrays.equals(
                Files.readAllBytes(qwen3.resolve("base/generation_config.json")),
                Files.readAllBytes(out.resolve("generation_config.json"))));

        Path llama = family("llama"); // long-standing style: "torch_dtype"
        Path out2 = tmp.resolve("llama");
        merge(command(llama, out2, OutputDtype.FP32));
        JsonNode c = new ObjectMapper().readTree(out2.resolve("config.json").toFile());
        assertEquals("float32", c.path("torch_dtype").asText());
        assertFalse(c.has("dtype"));
    }

    /** The visible files of a published folder (the _SUCCESS marker and hidden files aside). */
    static List<String> listing(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals("_SUCCESS") && !n.startsWith("."))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    @Test
    void aTiedHeadStoredInTheBaseIsNotWrittenAsTransformersSavesNone() throws Exception {
        Path fam = family("qwen2"); // tie_word_embeddings: true
        Path base = tmp.resolve("tied-base");
        Files.createDirectories(base);
        Files.copy(fam.resolve("base/config.json"), base.resolve("config.json"));
        try (SafetensorsFile f = SafetensorsFile.open(fam.resolve("base/model.safetensors"))) {
            assertFalse(f.contains("lm_head.weight"));
            List<SafetensorsWriter.Spec> specs = new ArrayList<>();
            for (String k : f.names()) {
                specs.add(new SafetensorsWriter.Spec(
                        k, SafetensorsDType.BF16, f.info(k).shape()));
            }
            specs.add(new SafetensorsWriter.Spec(
                    "lm_head.weight",
                    SafetensorsDType.BF16,
                    f.info("model.embed_tokens.weight").shape()));
            try (SafetensorsWriter w = SafetensorsWriter.create(
                    base.resolve("model.safetensors"), SafetensorsWriter.ptMetadata(), specs)) {
                for (String k : f.names()) {
                    w.write(k, f.readFloats(k));
                }
                w.write("lm_head.weight", f.readFloats("model.embed_tokens.weight"));
            }
        }
        MergeCommand m = command(fam, tmp.resolve("tied"), OutputDtype.BF16);
        m.model = base;
        merge(m);
        try (SafetensorsFile out = SafetensorsFile.open(tmp.resolve("tied").resolve(ShardPlan.SINGLE_FILE))) {
            assertFalse(out.contains("lm_head.weight"));
            assertTrue(out.contains("model.embed_tokens.weight"));
        }
    }

    @Test
    void aQuantizedBaseIsRefusedBecauseTheUpdateWouldBeLostToRounding() throws Exception {
        Path fam = family("llama");
        Path base = tmp.resolve("nf4-base");
        Files.createDirectories(base);
        String config = new String(Files.readAllBytes(fam.resolve("base/config.json")), StandardCharsets.UTF_8);
        Files.write(
                base.resolve("config.json"),
                config.replaceFirst(
                                "\\{",
                                "{\"quantization_config\": "
                                        + "{\"quant_method\": \"bitsandbytes\", \"load_in_4bit\": true},")
                        .getBytes(StandardCharsets.UTF_8));
        Files.copy(fam.resolve("base/model.safetensors"), base.resolve("model.safetensors"));
        MergeCommand m = command(fam, tmp.resolve("out"), OutputDtype.BF16);
        m.model = base;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> merge(m));
        assertTrue(
                e.getMessage().contains("quantization_config (bitsandbytes)")
                        && e.getMessage().contains("original"),
                e.getMessage());
    }

    @Test
    void rsLoraScalesTheUpdateByAlphaOverSqrtRInsteadOfAlphaOverR() throws Exception {
        Path fam = family("llama"); // r = 8, alpha = 16
        Path rs = tmp.resolve("rslora-adapter");
        Files.createDirectories(rs);
        String config =
                new String(Files.readAllBytes(fam.resolve("adapter/adapter_config.json")), StandardCharsets.UTF_8);
        assertTrue(config.contains("\"use_rslora\": false"));
        Files.write(
                rs.resolve("adapter_config.json"),
                config.replace("\"use_rslora\": false", "\"use_rslora\": true").getBytes(StandardCharsets.UTF_8));
        Files.copy(fam.resolve("adapter/adapter_model.safetensors"), rs.resolve("adapter_model.safetensors"));
        merge(command(fam, tmp.resolve("plain"), OutputDtype.FP32));
        MergeCommand m = command(fam, tmp.resolve("rs"), OutputDtype.FP32);
        m.adapter = rs.toString();
        merge(m);
        String k = "model.layers.1.self_attn.v_proj.weight";
        try (SafetensorsFile base = SafetensorsFile.open(fam.resolve("base/model.safetensors"));
                SafetensorsFile plain = SafetensorsFile.open(tmp.resolve("plain/model.safetensors"));
                SafetensorsFile scaled = SafetensorsFile.open(tmp.resolve("rs/model.safetensors"))) {
            float[] w = base.readFloats(k);
            float[] p = plain.readFloats(k);
            float[] q = scaled.readFloats(k);
            double num = 0;
            double den = 0;
            for (int i = 0; i < w.length; i++) {
                num += ((double) q[i] - w[i]) * ((double) p[i] - w[i]);
                den += ((double) p[i] - w[i]) * ((double) p[i] - w[i]);
            }
            assertEquals(Math.sqrt(8), num / den, 1e-4, "(16/√8) / (16/8)");
        }
    }

    @Test
    void aValueFp16CannotHoldIsRefusedWithTheDtypesThatCan() {
        float[] v = {1f, -70000f};
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Merger.checkWritable("model.embed_tokens.weight", v, 2, 10, OutputDtype.FP16, false));
        assertTrue(
                e.getMessage()
                        .contains("model.embed_tokens.weight: value -70000.0 at element 11 overflows fp16; "
                                + "write with --dtype bf16 or fp32"),
                e.getMessage());
        Merger.checkWritable("x", new float[] {65504f, 65519f}, 2, 0, OutputDtype.FP16, false); // round to 65504
        Merger.checkWritable("x", v, 2, 0, OutputDtype.BF16, false);
    }

    @Test
    void aCompleteOutputIsReplacedOnlyWithOverwrite() throws Exception {
        Path fam = family("qwen2");
        Path out = tmp.resolve("twice");
        merge(command(fam, out, OutputDtype.BF16));
        assertTrue(Files.exists(out.resolve("_SUCCESS")));
        MergeCommand again = command(fam, out, OutputDtype.FP32);
        ConfigException e = assertThrows(ConfigException.class, () -> merge(again));
        assertTrue(e.getMessage().contains("already complete"), e.getMessage());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve(ShardPlan.SINGLE_FILE))) {
            assertEquals(
                    SafetensorsDType.BF16, f.info("model.embed_tokens.weight").dtype(), "untouched");
        }
        again.overwrite = true;
        merge(again);
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve(ShardPlan.SINGLE_FILE))) {
            assertEquals(
                    SafetensorsDType.F32, f.info("model.embed_tokens.weight").dtype(), "replaced");
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(
                    Arrays.asList("twice"),
                    s.map(p -> p.getFileName().toString()).collect(Collectors.toList()),
                    "no temporary or old folders left beside the output");
        }
    }

    @Test
    void aNanInTheMergedWeightIsRefusedNamingTheTensorAndNothingIsPublished() throws Exception {
        Path fam = family("llama");
        Path adapter = tmp.resolve("broken-adapter");
        Files.createDirectories(adapter);
        Files.copy(fam.resolve("adapter/adapter_config.json"), adapter.resolve("adapter_config.json"));
        String poisoned = "base_model.model.model.layers.1.mlp.up_proj.lora_B.weight";
        try (SafetensorsFile f = SafetensorsFile.open(fam.resolve("adapter/adapter_model.safetensors"))) {
            List<SafetensorsWriter.Spec> specs = new ArrayList<>();
            for (String k : f.names()) {
                specs.add(new SafetensorsWriter.Spec(
                        k, SafetensorsDType.F32, f.info(k).shape()));
            }
            try (SafetensorsWriter w = SafetensorsWriter.create(
                    adapter.resolve("adapter_model.safetensors"), SafetensorsWriter.ptMetadata(), specs)) {
                for (String k : f.names()) {
                    float[] v = f.readFloats(k);
                    if (k.equals(poisoned)) {
                        v[3] = Float.NaN;
                    }
                    w.write(k, v);
                }
            }
        }
        MergeCommand m = command(fam, tmp.resolve("out"), OutputDtype.BF16);
        m.adapter = adapter.toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> merge(m));
        assertTrue(
                e.getMessage().contains("model.layers.1.mlp.up_proj.weight")
                        && e.getMessage().contains("NaN"),
                e.getMessage());
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(
                    Arrays.asList("broken-adapter"),
                    s.map(p -> p.getFileName().toString()).collect(Collectors.toList()),
                    "the aborted merge leaves nothing behind");
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(b.length, a.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs((double) a[i] - b[i]));
            if (Float.isNaN(a[i])) {
                return Double.NaN;
            }
        }
        return d;
    }
}
