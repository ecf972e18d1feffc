package dev.finetune.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.config.ConfigLoader;
import dev.finetune.config.RunConfig;
import dev.finetune.pipeline.spark.PrepareOptions;
import dev.finetune.trainer.train.TrainOptions;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one mapping from the user's config to each step's options loses nothing both sides name alike. */
class OptionsMappingTest {

    private static RunConfig preset(String name) {
        return ConfigLoader.load(Paths.get(System.getProperty("project.root", "..")).resolve("conf/" + name),
                Collections.emptyMap());
    }

    @Test
    void everyTrainingKeyTheTrainerKnowsCarriesTheConfiguredValue() {
        RunConfig c = preset("a100-40gb.yaml");
        Map<String, Object> user = ConfigLoader.toMap(c);
        Map<String, Object> trainer = OptionsMapping.train(c, "/models/x").toMap();
        int shared = 0;
        for (Map.Entry<String, Object> e : trainer.entrySet()) {
            if (user.containsKey(e.getKey()) && !e.getKey().equals("base_model_id") && !e.getKey().equals("shards_dir")) {
                assertEquals(String.valueOf(user.get(e.getKey())), String.valueOf(e.getValue()), e.getKey());
                shared++;
            }
        }
        assertEquals(true, shared >= 25, "only " + shared + " keys shared");
        TrainOptions o = OptionsMapping.train(c, "/models/x");
        assertEquals("/models/x", o.baseModelId);
        assertEquals(c.resolvedShardsDir(), o.shardsDir);
    }

    @Test
    void generateLoadsTheBaseAsTrainingDoes() {
        RunConfig c = preset("a100-40gb.yaml");
        List<String> none = Collections.emptyList();
        c.use4bit = true;
        c.doubleQuant = true;
        List<String> a = OptionsMapping.generateArgs(c, "/m", null, Arrays.asList("hi"), none, false, false, false);
        assertTrue(a.contains("--use-4bit") && !a.contains("--no-double-quant"), a.toString());
        c.doubleQuant = false;
        a = OptionsMapping.generateArgs(c, "/m", null, Arrays.asList("hi"), none, false, false, false);
        assertTrue(a.contains("--use-4bit") && a.contains("--no-double-quant"), a.toString());
        c.use4bit = false;
        a = OptionsMapping.generateArgs(c, "/m", null, Arrays.asList("hi"), none, false, false, false);
        assertFalse(a.contains("--use-4bit") || a.contains("--no-double-quant"), a.toString());
    }

    @Test
    void prepareGetsTheDatasetColumnsAndPacking() {
        RunConfig c = preset("l4-24gb.yaml");
        PrepareOptions o = OptionsMapping.prepare(c, "/tok", false);
        assertEquals("hf://datasets/HuggingFaceH4/ultrachat_200k", o.source);
        assertEquals("train_sft", o.split);
        assertEquals("test_sft", o.validationSplit);
        assertEquals("messages", o.messagesColumn);
        assertEquals(null, o.textColumn);
        assertEquals(2048, o.maxSeqLength);
        assertEquals(c.resolvedShardsDir(), o.output);
        assertEquals("local[*]", o.master);
    }

    @Test
    void datasetIdsArePathsOrHubIds() {
        assertEquals("hf://datasets/iac/ja-wiki-2023", OptionsMapping.datasetSource("iac/ja-wiki-2023"));
        assertEquals("gs://b/data/*.parquet", OptionsMapping.datasetSource("gs://b/data/*.parquet"));
        assertEquals("/content/drive/MyDrive/d.jsonl", OptionsMapping.datasetSource("/content/drive/MyDrive/d.jsonl"));
        assertEquals("hf://datasets/a/b", OptionsMapping.datasetSource("hf://datasets/a/b"));
    }

    @Test
    void samplingSettingsReachTheGenerator() {
        RunConfig c = preset("demo.yaml");
        assertEquals(true, OptionsMapping.generation(c).isGreedy());
        assertEquals(c.maxNewTokens, OptionsMapping.generation(c).maxNewTokens);
    }
}
