package dev.finetune.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private Path yaml(String text) throws IOException {
        Path p = dir.resolve("x.yaml");
        Files.write(p, text.getBytes(StandardCharsets.UTF_8));
        return p;
    }

    private static Map<String, String> overrides(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void keysMirrorTheSeedNotebookParameterCell() {
        // the seed notebook's parameter cell: every notebook name lowercased is a key, with a kebab-case flag
        for (String seed : Arrays.asList(
                "PROJECT_NAME",
                "BASE_SAVE_DIR",
                "BASE_MODEL_ID",
                "USE_4BIT",
                "DATASET_ID",
                "DATASET_SPLIT",
                "TEXT_COLUMN",
                "MAX_SEQ_LENGTH",
                "PACKING",
                "LORA_R",
                "LORA_ALPHA",
                "LORA_DROPOUT",
                "LORA_TARGET_MODULES",
                "BATCH_SIZE",
                "GRADIENT_ACCUMULATION_STEPS",
                "LEARNING_RATE",
                "NUM_TRAIN_EPOCHS",
                "WARMUP_STEPS",
                "LOGGING_STEPS",
                "SAVE_STEPS",
                "MAX_STEPS")) {
            String key = seed.toLowerCase();
            assertTrue(ConfigSchema.get().has(key), key);
            assertEquals(key, ConfigSchema.get().byFlag(key.replace('_', '-')).name);
        }
    }

    @Test
    void seedNotebookDefaultsAreTheDefaults() {
        RunConfig c = ConfigLoader.load(null, Collections.emptyMap());
        assertEquals(64, c.loraR);
        assertEquals(16.0, c.loraAlpha);
        assertEquals(0.05, c.loraDropout);
        assertEquals(Arrays.asList("q_proj", "v_proj"), c.loraTargetModules);
        assertEquals(16, c.gradientAccumulationSteps);
        assertEquals(-1, c.maxSteps);
        assertTrue(c.use4bit);
    }

    @Test
    void unknownKeyNamesTheFileAndSuggestsTheClosestKey() throws IOException {
        Path p = yaml("project_name: a\nlora_rank: 16\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(p, overrides()));
        assertTrue(
                e.getMessage().startsWith("unknown key 'lora_rank' in " + p + "; did you mean 'lora_r'?"),
                e.getMessage());
    }

    @Test
    void aKeyGivenTwiceIsRefusedNamingKeyFileAndLine() throws IOException {
        Path p = yaml("project_name: a\nlora_r: 16\nlearning_rate: 1e-4\nlora_r: 8\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(p, overrides()));
        assertTrue(e.getMessage().startsWith("key 'lora_r' appears twice in " + p + " (line 4)"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void theDocumentedRevisionDefaultIsTheResolvedValue() {
        RunConfig c = ConfigLoader.load(null, Collections.emptyMap());
        assertEquals("main", c.modelRevision);
        assertEquals("main", c.datasetRevision);
        assertTrue(ConfigLoader.toYaml(c).contains("model_revision: main\n"), ConfigLoader.toYaml(c));
        assertEquals("main", ConfigSchema.get().key("model_revision").defaultText);
    }

    @Test
    void notebookUppercaseNamesAreSuggestedInSnakeCase() throws IOException {
        Path p = yaml("LEARNING_RATE: 1e-4\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(p, overrides()));
        assertTrue(e.getMessage().contains("did you mean 'learning_rate'?"), e.getMessage());
    }

    @Test
    void aTokenInTheConfigIsRefusedWithoutEchoingIt() throws IOException {
        Path p = yaml("hf_token: hf_secretsecret\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(p, overrides()));
        assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
        assertFalse(e.getMessage().contains("hf_secretsecret"));
    }

    @Test
    void flagsOverrideTheFileAndListsSplitOnCommas() throws IOException {
        Path p = yaml("lora_r: 16\nlearning_rate: 1.0e-4\npacking: true\n");
        RunConfig c = ConfigLoader.load(
                p, overrides("lora_r", "8", "packing", "false", "lora_target_modules", "q_proj, k_proj,v_proj"));
        assertEquals(8, c.loraR);
        assertEquals(1e-4, c.learningRate);
        assertFalse(c.packing);
        assertEquals(Arrays.asList("q_proj", "k_proj", "v_proj"), c.loraTargetModules);
    }

    @Test
    void aSingleTargetModuleStringIsAList() throws IOException {
        RunConfig c = ConfigLoader.load(yaml("lora_target_modules: all-linear\n"), overrides());
        assertEquals(Collections.singletonList("all-linear"), c.loraTargetModules);
    }

    @Test
    void aWrongTypeNamesTheKeyValueAndExpectedKind() throws IOException {
        Path p = yaml("lora_r: sixteen\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(p, overrides()));
        assertTrue(e.getMessage().contains("lora_r = \"sixteen\" is not valid; expected an integer"), e.getMessage());
        ConfigException f =
                assertThrows(ConfigException.class, () -> ConfigLoader.load(null, overrides("learning_rate", "fast")));
        assertEquals("--learning-rate takes a number, got 'fast'", f.getMessage());
    }

    @Test
    void aFractionalIntegerIsRejectedNotTruncated() throws IOException {
        Path p = yaml("lora_r: 16.5\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(p, overrides()));
        assertTrue(e.getMessage().contains("lora_r"), e.getMessage());
    }

    @Test
    void validationNamesEveryBadOptionItsValueAndRange() {
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> ConfigLoader.load(
                        null,
                        overrides(
                                "lora_dropout",
                                "1.5",
                                "max_seq_length",
                                "8",
                                "lr_scheduler",
                                "cosin",
                                "max_steps",
                                "0")));
        String m = e.getMessage();
        assertTrue(m.contains("lora_dropout = 1.5 must be in [0, 1)"), m);
        assertTrue(m.contains("max_seq_length = 8 must be in [16, 131072]"), m);
        assertTrue(m.contains("lr_scheduler = 'cosin' must be one of linear, cosine, constant"), m);
        assertTrue(m.contains("max_steps = 0 must be -1 (no limit) or at least 1"), m);
    }

    @Test
    void requireNamesTheMissingKeyAndItsFlag() {
        RunConfig c = ConfigLoader.load(null, overrides());
        ConfigException e = assertThrows(ConfigException.class, () -> c.require("prepare", "dataset_id"));
        assertEquals(
                "prepare needs dataset_id (--dataset-id): set it in the config file or on the command line",
                e.getMessage());
    }

    @Test
    void printedConfigReadsBackToTheSameConfig() throws IOException {
        RunConfig c = ConfigLoader.load(
                null,
                overrides(
                        "base_model_id",
                        "Qwen/Qwen2-7B",
                        "lora_r",
                        "12",
                        "prompts",
                        "吾輩は,Hello",
                        "messages_column",
                        "messages"));
        String printed = ConfigLoader.toYaml(c);
        RunConfig back = ConfigLoader.load(yaml(printed), overrides());
        assertEquals(printed, ConfigLoader.toYaml(back));
        assertEquals(ConfigLoader.toMap(c), ConfigLoader.toMap(back));
    }

    @Test
    void derivedPathsFollowTheSeedLayout() {
        RunConfig c = ConfigLoader.load(
                null, overrides("base_save_dir", "/content/drive/MyDrive/llm-finetune", "project_name", "p"));
        assertEquals("/content/drive/MyDrive/llm-finetune/p/final", c.adapterDir());
        assertEquals("/content/drive/MyDrive/llm-finetune/p/checkpoints", c.checkpointsDir());
        assertEquals("/content/drive/MyDrive/llm-finetune/p/data", c.resolvedShardsDir());
    }

    @Test
    void suggestionsStaySilentForUnrelatedNames() {
        assertEquals(
                "",
                ConfigSchema.suggestion(
                        "banana_split_factor", ConfigSchema.get().names()));
    }
}
