package dev.finetune.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.config.ConfigLoader;
import dev.finetune.config.RunConfig;
import dev.finetune.pipeline.spark.PrepareOptions;
import dev.finetune.trainer.generate.GenerationOptions;
import dev.finetune.trainer.train.TrainOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What `jobs/finetune config` prints as the defaults is what the steps use when nothing is configured. */
class EffectiveConfigTest {

    @SuppressWarnings("unchecked")
    private static Map<String, Object> printedDefaults() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"config"}, new PrintStream(out, true, "UTF-8"), new PrintStream(err, true));
        assertEquals(Main.OK, code, err.toString());
        return ConfigLoader.mapper().readValue(out.toString(StandardCharsets.UTF_8.name()), LinkedHashMap.class);
    }

    private static void same(Map<String, Object> printed, String key, Object used) {
        assertEquals(String.valueOf(printed.get(key)), String.valueOf(used), key);
    }

    @Test
    void theDefaultsTheConfigCommandPrintsAreTheOnesTrainGenerateAndPrepareUse() throws Exception {
        Map<String, Object> printed = printedDefaults();

        Map<String, Object> train =
                TrainOptions.of(RunConfig.defaults(), "/models/x", "/data/x").toMap();
        int shared = 0;
        for (Map.Entry<String, Object> e : train.entrySet()) {
            if (printed.containsKey(e.getKey())
                    && !e.getKey().equals("base_model_id")
                    && !e.getKey().equals("shards_dir")) {
                same(printed, e.getKey(), e.getValue());
                shared++;
            }
        }
        assertEquals(true, shared >= 25, "only " + shared + " training keys compared");

        GenerationOptions generation = new GenerationOptions(); // what generate uses without a configuration
        same(printed, "max_new_tokens", generation.maxNewTokens);
        same(printed, "temperature", generation.temperature);
        same(printed, "top_p", generation.topP);
        same(printed, "top_k", generation.topK);
        same(printed, "seed", generation.seed);

        PrepareOptions prepare = new PrepareOptions(); // what a prepare job starts from
        same(printed, "dataset_split", prepare.split);
        same(printed, "dataset_revision", prepare.revision);
        same(printed, "holdout_fraction", prepare.holdoutFraction);
        same(printed, "seed", prepare.holdoutSeed);
        same(printed, "text_column", prepare.textColumn);
        same(printed, "train_on", prepare.trainOn);
        same(printed, "max_seq_length", prepare.maxSeqLength);
        same(printed, "packing", prepare.packing);
        same(printed, "long_documents", prepare.longDocuments);
    }
}
