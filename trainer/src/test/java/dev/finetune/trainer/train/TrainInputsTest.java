package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.shards.Manifest;
import dev.finetune.shards.ShardFormat;
import dev.finetune.shards.ShardFormatException;
import dev.finetune.trainer.model.Goldens;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * train through {@link TrainCommand} with real shards and a real model: what it trains from is checked before any
 * step (a shard whose bytes changed at the same size) and recorded, so other shards never continue a checkpoint.
 */
class TrainInputsTest {
    @TempDir
    Path tmp;

    private TrainOptions options(Path shards, long maxSteps) {
        RunConfig o = new RunConfig();
        o.projectName = "inputs";
        o.baseSaveDir = tmp.resolve("out").toString();
        o.loraR = 4;
        o.loraTargetModules = Arrays.asList("q_proj");
        o.batchSize = 1;
        o.gradientAccumulationSteps = 1;
        o.maxSteps = (int) maxSteps;
        o.saveSteps = 1;
        o.loggingSteps = 1;
        o.use4bit = false;
        o.device = "cpu";
        return TrainOptions.of(
                o, Goldens.fixturesModels().resolve("llama").resolve("base").toString(), shards.toString());
    }

    @Test
    void aShardCorruptedAtTheSameSizeFailsBeforeTrainingNamingTheShard() throws Exception {
        Path shards = tmp.resolve("shards");
        EndToEndTrainingTest.writeShards(shards, 4, 0);
        Path shard = shards.resolve(ShardFormat.shardPath("train", 0));
        byte[] bytes = Files.readAllBytes(shard);
        bytes[bytes.length - 10] = 0x41; // inside the last row's token ids
        Files.write(shard, bytes);
        ShardFormatException e = assertThrows(
                ShardFormatException.class,
                () -> TrainCommand.train(options(shards, 2), new PrintStream(new ByteArrayOutputStream())));
        assertTrue(
                e.getMessage().contains(shard.getFileName().toString())
                        && e.getMessage().contains("prepare")
                        && !e.getMessage().contains("\n"),
                e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out/inputs/checkpoints")), "no step was trained");
    }

    @Test
    void theSameShardsHaveOneFingerprintAndOtherShardsAnother() throws Exception {
        Configuration conf = new Configuration();
        Path a = tmp.resolve("a");
        EndToEndTrainingTest.writeShards(a, 4, 0);
        Manifest m1 = Manifest.read(
                new org.apache.hadoop.fs.Path(a.resolve(ShardFormat.MANIFEST).toString()), conf);
        Manifest m2 = Manifest.read(
                new org.apache.hadoop.fs.Path(a.resolve(ShardFormat.MANIFEST).toString()), conf);
        m2.command = "prepare --other-flags";
        m2.created = "another day";
        assertEquals(TrainCommand.dataFingerprint(m1), TrainCommand.dataFingerprint(m2), "when and how: not identity");
        Path b = tmp.resolve("b");
        EndToEndTrainingTest.writeShards(b, 5, 0);
        Manifest m3 = Manifest.read(
                new org.apache.hadoop.fs.Path(b.resolve(ShardFormat.MANIFEST).toString()), conf);
        assertNotEquals(TrainCommand.dataFingerprint(m1), TrainCommand.dataFingerprint(m3));
    }

    @Test
    void aCheckpointTrainedOnOtherShardsIsNotResumed() throws Exception {
        Path shards = tmp.resolve("shards");
        EndToEndTrainingTest.writeShards(shards, 4, 0);
        TrainCommand.train(options(shards, 3), new PrintStream(new ByteArrayOutputStream()));
        Path checkpoint = tmp.resolve("out/inputs/checkpoints/checkpoint-2");
        assertTrue(Files.exists(checkpoint.resolve(CheckpointStore.MANIFEST)));
        byte[] state = Files.readAllBytes(checkpoint.resolve(TrainState.FILE));

        // prepare again on other data (here: more rows), same folder, same options
        deleteTree(shards);
        EndToEndTrainingTest.writeShards(shards, 6, 0);
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> TrainCommand.train(options(shards, 3), new PrintStream(new ByteArrayOutputStream())));
        assertTrue(
                e.getMessage().contains("data (other shards)") && e.getMessage().contains("resume: never"),
                e.getMessage());
        assertTrue(Arrays.equals(state, Files.readAllBytes(checkpoint.resolve(TrainState.FILE))));
        String json = new String(state, StandardCharsets.UTF_8);
        assertTrue(json.contains("\"trained_from\"") && json.contains("\"max_seq_length\""), json);
    }

    private static void deleteTree(Path dir) throws Exception {
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
