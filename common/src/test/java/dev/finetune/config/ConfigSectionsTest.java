package dev.finetune.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The steps receive RunConfig's sections, so a key's value and its default live in RunConfig alone: every key set
 * in a YAML file reaches a section with that value, and the effective-config dump shows what the sections hold.
 */
class ConfigSectionsTest {

    /** Keys no step section carries: the output layout and the Hub push read them from RunConfig directly. */
    private static final Set<String> NOT_IN_A_SECTION =
            new HashSet<>(Arrays.asList("project_name", "base_save_dir", "hub_repo_id", "hub_private"));

    /** A valid value other than the default for every key whose values are constrained. */
    private static final Map<String, Object> CHOSEN = new HashMap<>();

    static {
        CHOSEN.put("project_name", "other-run");
        CHOSEN.put("lr_scheduler", "cosine");
        CHOSEN.put("train_on", "all");
        CHOSEN.put("long_documents", "truncate");
        CHOSEN.put("device", "cpu");
        CHOSEN.put("compute_dtype", "fp32");
        CHOSEN.put("attn_implementation", "eager");
        CHOSEN.put("resume", "never");
        CHOSEN.put("hub_repo_id", "someone/adapter");
        CHOSEN.put("max_steps", 7);
        CHOSEN.put("lora_target_modules", Arrays.asList("k_proj", "o_proj"));
        CHOSEN.put("prompts", Arrays.asList("hello", "こんにちは"));
    }

    @TempDir
    Path dir;

    private static Object otherThanDefault(ConfigSchema.Key k, Object dflt) {
        if (CHOSEN.containsKey(k.name)) {
            return CHOSEN.get(k.name);
        }
        if (k.isBoolean()) {
            return !(Boolean) dflt;
        }
        if (k.type() == int.class || k.type() == long.class) {
            return ((Number) dflt).longValue() + 1;
        }
        if (k.type() == double.class) {
            double d = (Double) dflt;
            return d == 0 ? 0.125 : d / 2;
        }
        return "x-" + k.name.replace('_', '-');
    }

    private static Map<String, Object> dump(RunConfig c) {
        Map<String, Object> all = new LinkedHashMap<>();
        List<Map<String, Object>> sections = Arrays.asList(
                c.baseModel().toMap(),
                c.prepare().toMap(),
                c.lora().toMap(),
                c.training().toMap(),
                c.generation().toMap(),
                c.runtime().toMap());
        for (Map<String, Object> s : sections) {
            for (Map.Entry<String, Object> e : s.entrySet()) {
                Object before = all.put(e.getKey(), e.getValue());
                assertTrue(before == null || before.equals(e.getValue()), e.getKey() + " differs between sections");
            }
        }
        return all;
    }

    @Test
    void everyKeySetInYamlReachesItsSectionWithThatValueAndTheDumpShowsIt() throws IOException {
        RunConfig defaults = RunConfig.defaults();
        StringBuilder yaml = new StringBuilder();
        Map<String, Object> written = new LinkedHashMap<>();
        for (ConfigSchema.Key k : ConfigSchema.get().keys()) {
            Object v = otherThanDefault(k, k.get(defaults));
            written.put(k.name, v);
        }
        yaml.append(ConfigLoader.mapper().writeValueAsString(written));
        Path file = dir.resolve("every-key.yaml");
        Files.write(file, yaml.toString().getBytes(StandardCharsets.UTF_8));

        RunConfig c = ConfigLoader.load(file, Collections.emptyMap());
        Map<String, Object> sections = dump(c);
        Map<String, Object> printed = ConfigLoader.mapper().readValue(ConfigLoader.toYaml(c), LinkedHashMap.class);
        for (ConfigSchema.Key k : ConfigSchema.get().keys()) {
            String want = String.valueOf(written.get(k.name));
            assertNotEquals(String.valueOf(k.get(defaults)), want, k.name + ": the test must change it");
            assertEquals(want, String.valueOf(printed.get(k.name)), k.name + " in the effective-config dump");
            if (NOT_IN_A_SECTION.contains(k.name)) {
                assertFalse(sections.containsKey(k.name), k.name + " is in a section: drop it from NOT_IN_A_SECTION");
            } else {
                assertTrue(sections.containsKey(k.name), k.name + " reaches no section");
                assertEquals(want, String.valueOf(sections.get(k.name)), k.name + " in its section");
            }
        }
    }

    @Test
    void anEmptyFileGivesSectionsHoldingTheDefaultsTheConfigCommandPrints() throws IOException {
        Path file = dir.resolve("empty.yaml");
        Files.write(file, new byte[0]);
        RunConfig c = ConfigLoader.load(file, Collections.emptyMap());
        Map<String, Object> printed = ConfigLoader.mapper().readValue(ConfigLoader.toYaml(c), LinkedHashMap.class);
        for (Map.Entry<String, Object> e : dump(c).entrySet()) {
            Object shown = e.getKey().equals("shards_dir") ? c.resolvedShardsDir() : printed.get(e.getKey());
            assertEquals(String.valueOf(shown), String.valueOf(e.getValue()), e.getKey());
        }
    }

    @Test
    void datasetIdsArePathsOrHubIds() {
        RunConfig c = RunConfig.defaults();
        String[][] cases = {
            {"iac/ja-wiki-2023", "hf://datasets/iac/ja-wiki-2023"},
            {"gs://b/data/*.parquet", "gs://b/data/*.parquet"},
            {"/content/drive/MyDrive/d.jsonl", "/content/drive/MyDrive/d.jsonl"},
            {"hf://datasets/a/b", "hf://datasets/a/b"}
        };
        for (String[] k : cases) {
            c.datasetId = k[0];
            assertEquals(k[1], c.prepare().datasetSource(), k[0]);
        }
    }
}
