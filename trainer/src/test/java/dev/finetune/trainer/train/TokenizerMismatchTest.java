package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.config.RunConfig;
import dev.finetune.shards.Manifest;
import dev.finetune.shards.ShardFormat;
import dev.finetune.tokenize.TextTokenizer;
import dev.finetune.trainer.model.Goldens;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shards tokenized for one model are refused for another, with a message that says what to re-run. */
class TokenizerMismatchTest {
    @TempDir
    Path tmp;

    @Test
    void shardsWhoseTokenizerFingerprintDiffersFromTheModelsAreRefused() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("model"));
        Path tokenizer = Paths.get(System.getProperty("fixtures.tokenizer.dir"), "tokenizer.json");
        Files.copy(tokenizer, model.resolve("tokenizer.json"));
        Manifest m = new Manifest();
        m.tokenizer.fingerprint = TextTokenizer.fingerprintOf("another tokenizer".getBytes("UTF-8"));

        IOException e = assertThrows(IOException.class, () -> TrainCommand.checkTokenizer(m, model, "/data/shards"));
        assertTrue(e.getMessage().contains("/data/shards/manifest.json: tokenizer fingerprint"), e.getMessage());
        assertTrue(e.getMessage().contains("re-run prepare"), e.getMessage());

        // the same tokenizer file, hashed independently of the trainer's helper, is accepted
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(tokenizer));
        StringBuilder hex = new StringBuilder();
        for (byte b : digest) {
            hex.append(String.format("%02x", b));
        }
        m.tokenizer.fingerprint = hex.toString();
        assertDoesNotThrow(() -> TrainCommand.checkTokenizer(m, model, "/data/shards"));
    }

    @Test
    void shardsWithALargerVocabularyThanTheModelAreRefusedBeforeTraining() throws Exception {
        Path shards = tmp.resolve("shards");
        EndToEndTrainingTest.writeShards(shards, 4, 0);
        Configuration conf = new Configuration();
        org.apache.hadoop.fs.Path manifest = new org.apache.hadoop.fs.Path(
                shards.resolve(ShardFormat.MANIFEST).toString());
        Manifest m = Manifest.read(manifest, conf);
        m.tokenizer.vocabSize = 151_669; // the reference model has 512
        m.write(manifest, conf);

        RunConfig c = new RunConfig();
        c.projectName = "mismatch";
        c.baseSaveDir = tmp.resolve("out").toString();
        c.loraR = 4;
        c.loraTargetModules = Arrays.asList("q_proj");
        c.maxSteps = 1;
        c.use4bit = false;
        c.device = "cpu";
        TrainOptions o = TrainOptions.of(
                c, Goldens.fixturesModels().resolve("llama").resolve("base").toString(), shards.toString());
        IOException e = assertThrows(
                IOException.class, () -> TrainCommand.train(o, new PrintStream(new ByteArrayOutputStream())));
        assertTrue(
                e.getMessage().contains("tokenizer vocabulary 151669 exceeds the model's vocab_size 512"),
                e.getMessage());
        assertTrue(!Files.exists(tmp.resolve("out").resolve("mismatch").resolve("final")), "nothing was saved");
    }
}
