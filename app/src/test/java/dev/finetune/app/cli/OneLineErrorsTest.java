package dev.finetune.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.config.Section;
import dev.finetune.trainer.model.Goldens;
import dev.finetune.trainer.train.EndToEndTrainingTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ordinary failures print one line, {@code error: <command>: ...}, naming the file and what to do, and exit
 * non-zero; the stack trace appears only with --debug. Each case runs the CLI's entry on real files.
 */
class OneLineErrorsTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return run(Main.commands(), args);
    }

    private int run(Map<String, Subcommand> commands, String... args) {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true), new PrintStream(err, true), false, commands);
    }

    /** stderr, which must be exactly one line starting "error: " + command + ": ". */
    private String oneErrorLine(String command) {
        String e = new String(err.toByteArray(), StandardCharsets.UTF_8);
        assertTrue(e.endsWith("\n") && e.indexOf('\n') == e.length() - 1, "one line expected:\n" + e);
        assertTrue(e.startsWith("error: " + command + ": "), e);
        assertFalse(e.contains("\tat "), e);
        return e.trim();
    }

    private Path trainConfig(Path shards) throws Exception {
        Path yaml = tmp.resolve("run.yaml");
        Files.write(
                yaml,
                ("project_name: p\nbase_save_dir: " + tmp.resolve("runs") + "\nbase_model_id: "
                                + Goldens.fixturesModels().resolve("llama").resolve("base") + "\nshards_dir: " + shards
                                + "\nuse_4bit: false\nmax_steps: 2\nbatch_size: 1\ngradient_accumulation_steps: 1\nlora_r: 4\n"
                                + "device: cpu\nlogging_steps: 1\n")
                        .getBytes(StandardCharsets.UTF_8));
        return yaml;
    }

    @Test
    void trainingWithNothingPreparedSaysToRunPrepare() throws Exception {
        Path yaml = trainConfig(tmp.resolve("never-prepared"));
        assertEquals(Main.USAGE, run("train", "--config", yaml.toString()));
        String e = oneErrorLine("train");
        assertTrue(e.contains(tmp.resolve("never-prepared") + ": no such prepared output; run `prepare` first"), e);
    }

    @Test
    void aMissingShardIsNamedWithTheWayOut() throws Exception {
        Path shards = tmp.resolve("shards");
        EndToEndTrainingTest.writeShards(shards, 4, 0);
        Path shard = shards.resolve("train").resolve("shard-00000.bin");
        Files.delete(shard);
        assertEquals(Main.USAGE, run("train", "--config", trainConfig(shards).toString()));
        String e = oneErrorLine("train");
        assertTrue(e.contains(shard + " is missing, though manifest.json lists it"), e);
        assertTrue(e.contains("re-run `prepare` with --overwrite"), e);
    }

    @Test
    void aTruncatedShardIsNamedWithTheWayOut() throws Exception {
        Path shards = tmp.resolve("shards");
        EndToEndTrainingTest.writeShards(shards, 4, 0);
        Path shard = shards.resolve("train").resolve("shard-00000.bin");
        try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        assertEquals(Main.USAGE, run("train", "--config", trainConfig(shards).toString()));
        String e = oneErrorLine("train");
        assertTrue(e.contains(shard.toString()) && e.contains("truncated"), e);
        assertTrue(e.contains("re-run `prepare`"), e);
    }

    /** An adapter folder whose adapter_config.json was cut off (an interrupted copy). */
    private Path damagedAdapter() throws Exception {
        Path adapter = Files.createDirectories(tmp.resolve("adapter"));
        Path good = Goldens.fixturesModels().resolve("llama").resolve("adapter");
        Files.copy(good.resolve("adapter_model.safetensors"), adapter.resolve("adapter_model.safetensors"));
        byte[] config = Files.readAllBytes(good.resolve("adapter_config.json"));
        Files.write(adapter.resolve("adapter_config.json"), java.util.Arrays.copyOf(config, config.length / 2));
        return adapter;
    }

    @Test
    void generateWithADamagedAdapterNamesTheFile() throws Exception {
        Path adapter = damagedAdapter();
        assertEquals(
                Main.USAGE,
                run(
                        "generate",
                        "--model",
                        Goldens.fixturesModels()
                                .resolve("llama")
                                .resolve("base")
                                .toString(),
                        "--adapter",
                        adapter.toString(),
                        "--prompt-ids",
                        "1,2,3",
                        "--max-new-tokens",
                        "2",
                        "--device",
                        "cpu"));
        String e = oneErrorLine("generate");
        assertTrue(e.contains(adapter.resolve("adapter_config.json") + " is not valid JSON"), e);
        assertTrue(e.contains("the adapter folder is damaged"), e);
    }

    @Test
    void mergeWithADamagedAdapterNamesTheFileAndWritesNothing() throws Exception {
        Path adapter = damagedAdapter();
        Path merged = tmp.resolve("merged");
        assertEquals(
                Main.USAGE,
                run(
                        "merge",
                        "--model",
                        Goldens.fixturesModels()
                                .resolve("llama")
                                .resolve("base")
                                .toString(),
                        "--adapter",
                        adapter.toString(),
                        "--output",
                        merged.toString()));
        String e = oneErrorLine("merge");
        assertTrue(e.contains(adapter.resolve("adapter_config.json") + " is not valid JSON"), e);
        assertFalse(Files.exists(merged.resolve("_SUCCESS")));
    }

    @Test
    void mergeOverACompleteOutputIsOneLine() throws Exception {
        Path fam = Goldens.fixturesModels().resolve("llama");
        Path merged = tmp.resolve("merged");
        String[] args = {
            "merge",
            "--model",
            fam.resolve("base").toString(),
            "--adapter",
            fam.resolve("adapter").toString(),
            "--output",
            merged.toString()
        };
        assertEquals(Main.OK, run(args));
        assertEquals(Main.USAGE, run(args));
        String e = oneErrorLine("merge");
        assertTrue(e.contains(merged.getFileName().toString()) && e.contains("already complete"), e);
    }

    @Test
    void prepareOnACorruptParquetFileNamesIt() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("model"));
        Path tokenizer = Paths.get(System.getProperty("fixtures.tokenizer.dir"));
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(tokenizer.resolve(f), model.resolve(f));
        }
        Path data = Files.createDirectories(tmp.resolve("data"));
        byte[] notParquet = new byte[4096];
        new java.util.Random(1).nextBytes(notParquet);
        notParquet[0] = 'P'; // starts like parquet, as a download cut short does
        notParquet[1] = 'A';
        notParquet[2] = 'R';
        notParquet[3] = '1';
        Path file = data.resolve("part-0.parquet");
        Files.write(file, notParquet);
        assertEquals(
                Main.USAGE,
                run(
                        "prepare",
                        "--base-model-id",
                        model.toString(),
                        "--dataset-id",
                        data.toString(),
                        "--base-save-dir",
                        tmp.resolve("runs").toString(),
                        "--spark-master",
                        "local[1]"));
        String e = oneErrorLine("prepare");
        assertTrue(e.contains(file.getFileName() + " is not a readable parquet file"), e);
        assertTrue(e.contains("does not end with parquet's PAR1 marker"), e);
        assertFalse(Files.exists(
                tmp.resolve("runs").resolve("finetune-run").resolve("data").resolve("_SUCCESS")));
    }

    /** A subcommand that writes through Hadoop's local file system into /dev/full, which is always full. */
    private static final class WritesToAFullDisk extends Subcommand {
        WritesToAFullDisk() {
            super("fill", "writes to /dev/full");
        }

        @Override
        String description() {
            return "test";
        }

        @Override
        Set<Section> sections() {
            return EnumSet.noneOf(Section.class);
        }

        @Override
        int run(CommandLine line, PrintStream o) throws Exception {
            FileSystem local = FileSystem.getLocal(new Configuration()).getRaw();
            try (FSDataOutputStream s = local.create(new org.apache.hadoop.fs.Path("/dev/full"), true)) {
                s.write(new byte[1 << 16]);
                s.hflush();
            }
            return Main.OK;
        }
    }

    @Test
    void aFullDiskIsOneErrorLineNotAnUncaughtFsError() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(Paths.get("/dev/full")), "needs /dev/full");
        Map<String, Subcommand> commands = new LinkedHashMap<>();
        commands.put("fill", new WritesToAFullDisk());
        assertEquals(Main.FAILED, run(commands, "fill"));
        String e = oneErrorLine("fill");
        assertTrue(e.contains("the disk is full (No space left on device)"), e);
    }

    @Test
    void debugAddsTheStackTraceBeforeTheErrorLine() throws Exception {
        Path yaml = trainConfig(tmp.resolve("never-prepared"));
        assertEquals(Main.USAGE, run("train", "--config", yaml.toString(), "--debug"));
        String e = new String(err.toByteArray(), StandardCharsets.UTF_8);
        assertTrue(e.contains("\tat dev.finetune.shards.ShardSet.open"), e);
        String[] lines = e.trim().split("\n");
        assertTrue(lines[lines.length - 1].startsWith("error: train: "), e);
    }

    @Test
    void aBadValueOfALauncherFlagIsOneLineNamingTheFlag() throws Exception {
        String yaml = trainConfig(tmp.resolve("shards")).toString();
        String[][] cases = {
            {"--child-heap", "8GB", "--child-heap 8GB: give a size such as 8g or 6144m"},
            {"--max-attempts", "0", "--max-attempts 0: must be in 1..100"},
            {"--max-attempts", "three", "--max-attempts takes an integer, got 'three'"},
            {"--read-timeout-s", "0", "--read-timeout-s 0: must be >= 1"},
            {
                "--libtorch",
                "gs://b/libtorch",
                "--libtorch applies under spark-submit only; on this host set " + "PYTORCH_LIBRARY_PATH instead"
            },
            {"--hf-token-file", "gs://b/secret/hf", "--hf-token-file applies under spark-submit only"},
        };
        for (String[] c : cases) {
            assertEquals(Main.USAGE, run("train", "--config", yaml, "--world-size", "2", c[0], c[1]), c[0]);
            String e = oneErrorLine("train");
            assertTrue(e.contains(c[2]), e);
            assertTrue(e.endsWith("(`jobs/finetune train --help` lists the options)"), e);
        }
    }

    @Test
    void inspectErrorsNameOnlyFlagsInspectTakes() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("model"));
        assertEquals(
                Main.USAGE,
                run(
                        "inspect",
                        "--base-model-id",
                        model.toString(),
                        "--shards",
                        tmp.resolve("none").toString()));
        String e = oneErrorLine("inspect");
        assertTrue(e.contains(tmp.resolve("none") + ": no such prepared output; run `prepare` first"), e);
        assertFalse(e.contains("--tokenizer"), e); // the library entry's flag, which the CLI's inspect does not take
    }
}
