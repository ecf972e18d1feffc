package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.shards.Manifest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What resume may and may not continue, on the toy bigram model: an exact resume warns nothing, a checkpoint of
 * another run is refused leaving every byte in place, a corrupt checkpoint falls back to the previous one (and
 * the result still equals the uninterrupted run), metrics files are never truncated, and a run that trains
 * nothing publishes nothing.
 */
class ResumeSafetyTest {

    private static final int VOCAB = 16;

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream console = new ByteArrayOutputStream();

    private TrainOptions options(String project, long maxSteps) {
        return options(config(project, maxSteps));
    }

    private static TrainOptions options(RunConfig c) {
        return ToyRuns.options(c);
    }

    private RunConfig config(String project, long maxSteps) {
        RunConfig o = ToyRuns.config(project, tmp, maxSteps);
        o.loggingSteps = 1;
        o.saveSteps = 3;
        o.saveTotalLimit = 0;
        return o;
    }

    private Trainer.Result run(
            TrainOptions o, RowSource rows, Map<String, Object> sources, FinalSave save, Map<String, float[]> weights)
            throws Exception {
        console.reset();
        try (NDManager manager = NDManager.newBaseManager()) {
            ToyBigramModel model = new ToyBigramModel(manager, VOCAB, 4, 0.2f, 5);
            OutputLocation out = OutputLocation.of(o.baseSaveDir, o.projectName, new Configuration());
            Trainer t = new Trainer(
                    o,
                    model,
                    rows,
                    null,
                    GradientSync.local(),
                    out,
                    manager,
                    false,
                    save,
                    new PrintStream(console, true, StandardCharsets.UTF_8));
            Trainer.Result r = t.trainedFrom(sources).run();
            if (weights != null) {
                weights.putAll(model.snapshot());
            }
            return r;
        }
    }

    private Trainer.Result run(TrainOptions o) throws Exception {
        return run(o, new InMemoryRows(24, 16, VOCAB), Map.of("data", "d1", "model", "m1"), null, null);
    }

    private String console() {
        return console.toString(StandardCharsets.UTF_8);
    }

    /** Every file under {@code root} with its sha256. */
    private static Map<String, String> tree(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                out.put(
                        root.relativize(p).toString(),
                        Files.isDirectory(p)
                                ? "dir"
                                : Manifest.hex(
                                        MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }

    @Test
    void anExactResumeWarnsNothingAndAnExplicitResumeWithAChangedSeedWarnsOnce() throws Exception {
        run(options("exact", 4));
        RunConfig againConfig = config("exact", 4); // the checkpoint's own settings: an exact continuation
        againConfig.resume = tmp.resolve("exact/checkpoints/checkpoint-3").toString();
        TrainOptions again = options(againConfig);
        run(again);
        assertTrue(console().contains("resumed at step 3"), console());
        assertFalse(console().contains("WARNING"), console());

        RunConfig changed = config("exact", 4);
        changed.resume = again.training.resume;
        changed.seed = 12;
        run(options(changed));
        String log = console();
        assertTrue(log.contains("WARNING") && log.contains("seed 11 -> 12"), log);
        assertEquals(1, log.split("WARNING", -1).length - 1, log);
    }

    @Test
    void resumeAutoRefusesACheckpointOfOtherSettingsDataOrModelAndLeavesEveryByte() throws Exception {
        run(options("other", 7));
        Path project = tmp.resolve("other");
        Map<String, String> before = tree(project);

        TrainOptions fewer = options("other", 4);
        ConfigException e = assertThrows(ConfigException.class, () -> run(fewer));
        assertTrue(
                e.getMessage().contains("max_steps 7 -> 4")
                        && e.getMessage().contains("resume: never")
                        && e.getMessage().contains("project_name")
                        && !e.getMessage().contains("\n"),
                e.getMessage());
        assertEquals(before, tree(project));

        RunConfig lrConfig = config("other", 7);
        lrConfig.learningRate = 0.01;
        lrConfig.loraDropout = 0.1;
        TrainOptions lr = options(lrConfig);
        e = assertThrows(ConfigException.class, () -> run(lr));
        assertTrue(
                e.getMessage().contains("learning_rate 0.05 -> 0.01")
                        && e.getMessage().contains("lora_dropout"),
                e.getMessage());

        e = assertThrows(
                ConfigException.class,
                () -> run(
                        options("other", 7),
                        new InMemoryRows(24, 16, VOCAB),
                        Map.of("data", "d2", "model", "m1"),
                        null,
                        null));
        assertTrue(
                e.getMessage().contains("data (other shards)")
                        && !e.getMessage().contains("model"),
                e.getMessage());
        e = assertThrows(
                ConfigException.class,
                () -> run(
                        options("other", 7),
                        new InMemoryRows(24, 16, VOCAB),
                        Map.of("data", "d1", "model", "m2"),
                        null,
                        null));
        assertTrue(e.getMessage().contains("model (another base model)"), e.getMessage());
        assertEquals(before, tree(project));

        RunConfig fresh = config("other", 4);
        fresh.resume = "never";
        Trainer.Result r = run(options(fresh));
        assertEquals(0, r.firstStep, "resume: never starts over");
    }

    @Test
    void twoRunsResumingFromTheSameStepEachKeepTheirOwnMetricsAndReportTheirOwnSteps() throws Exception {
        Trainer.Result first = run(options("metrics", 5));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), first.loggedSteps);
        Path logs = tmp.resolve("metrics/logs");
        byte[] metrics0 = Files.readAllBytes(logs.resolve("metrics-0.jsonl"));

        Trainer.Result second = run(options("metrics", 5)); // resumes from checkpoint-3
        assertEquals(3, second.firstStep);
        assertEquals(List.of(4L, 5L), second.loggedSteps, "this run's steps, not the first run's");
        assertEquals(first.loggedLosses.subList(3, 5), second.loggedLosses, "resume == uninterrupted");
        assertEquals("metrics-3.jsonl", second.metricsFile.getName());
        byte[] metrics3 = Files.readAllBytes(logs.resolve("metrics-3.jsonl"));

        Trainer.Result third = run(options("metrics", 5)); // resumes from checkpoint-3 again
        assertEquals("metrics-3-2.jsonl", third.metricsFile.getName());
        assertArrayEquals(metrics0, Files.readAllBytes(logs.resolve("metrics-0.jsonl")));
        assertArrayEquals(metrics3, Files.readAllBytes(logs.resolve("metrics-3.jsonl")), "not truncated");
        assertEquals(
                RunOutputs.trainLosses(logs.resolve("metrics-3.jsonl")),
                RunOutputs.trainLosses(logs.resolve("metrics-3-2.jsonl")));
    }

    @Test
    void aCorruptNewestCheckpointFallsBackToThePreviousOneAndStillEqualsTheUninterruptedRun() throws Exception {
        Map<String, float[]> straight = new TreeMap<>();
        run(options("straight", 10), new InMemoryRows(24, 16, VOCAB), Map.of(), null, straight);

        // a first run that got as far as checkpoint-9, then its newest checkpoint is damaged at the same size
        run(options("corrupt", 10));
        Path ckpt9 = tmp.resolve("corrupt/checkpoints/checkpoint-9/" + CheckpointFiles.ADAPTER_WEIGHTS);
        byte[] bytes = Files.readAllBytes(ckpt9);
        bytes[bytes.length - 3] ^= 0x55;
        Files.write(ckpt9, bytes);

        Map<String, float[]> resumed = new TreeMap<>();
        Trainer.Result r = run(options("corrupt", 10), new InMemoryRows(24, 16, VOCAB), Map.of(), null, resumed);
        String log = console();
        assertEquals(6, r.firstStep, log);
        assertTrue(
                log.contains("checkpoint-9/adapter_model.safetensors: sha256 differs from its manifest; "
                        + "falling back to checkpoint-6"),
                log);
        assertFalse(log.contains("resume-") || log.contains("Exception"), "no temp copy, no trace: " + log);
        for (String k : straight.keySet()) {
            assertArrayEquals(straight.get(k), resumed.get(k), 0f, k);
        }
    }

    @Test
    void whenNoCheckpointVerifiesResumeAutoRefusesNamingTheWayOut() throws Exception {
        run(options("none", 4));
        Path manifest = tmp.resolve("none/checkpoints/checkpoint-3/" + CheckpointStore.MANIFEST);
        Files.write(manifest, "{\"format\":\"something else\"}".getBytes(StandardCharsets.UTF_8));
        ConfigException e = assertThrows(ConfigException.class, () -> run(options("none", 4)));
        assertTrue(e.getMessage().contains("checkpoint-3") && e.getMessage().contains("resume: never"), e.getMessage());
    }

    @Test
    void anExplicitResumeFromAnUnfinishedOrMissingCheckpointIsRefusedInOneLine() throws Exception {
        Path unfinished = Files.createDirectories(tmp.resolve("explicit/checkpoints/checkpoint-3"));
        Files.write(unfinished.resolve(CheckpointFiles.ADAPTER_WEIGHTS), new byte[] {1, 2, 3});
        for (Path from : new Path[] {unfinished, tmp.resolve("explicit/checkpoints/checkpoint-99")}) {
            RunConfig c = config("explicit", 4);
            c.resume = from.toString();
            TrainOptions o = options(c);
            ConfigException e = assertThrows(ConfigException.class, () -> run(o));
            assertTrue(
                    e.getMessage().contains(from.getFileName().toString())
                            && e.getMessage().contains("resume: auto")
                            && !e.getMessage().contains("\n"),
                    e.getMessage());
        }
    }

    @Test
    void shardsWithoutATrainedTokenAreRefusedAndNoFinalAdapterIsWritten() throws Exception {
        RowSource masked = new RowSource() {
            final InMemoryRows rows = new InMemoryRows(24, 16, VOCAB);

            @Override
            public long rows() {
                return rows.rows();
            }

            @Override
            public int length() {
                return rows.length();
            }

            @Override
            public void read(long index, int[] ids, int[] segments, byte[] targets, int offset)
                    throws java.io.IOException {
                rows.read(index, ids, segments, targets, offset);
                java.util.Arrays.fill(targets, offset, offset + rows.length(), (byte) 0);
            }
        };
        Path base = Files.createDirectories(tmp.resolve("base"));
        FinalSave save = new FinalSave(base, "toy", Map.of());
        RunConfig c = config("untrained", 3);
        c.saveSteps = 100;
        TrainOptions o = options(c);
        ConfigException e = assertThrows(ConfigException.class, () -> run(o, masked, Map.of(), save, null));
        assertTrue(e.getMessage().contains("final/ was not written"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("untrained/final")));

        Manifest m = new Manifest();
        Manifest.Split split = new Manifest.Split();
        split.rows = 3;
        m.splits.put("train", split);
        e = assertThrows(ConfigException.class, () -> TrainCommand.requireTrainedTokens(m, "/data/shards"));
        assertTrue(
                e.getMessage().contains("/data/shards/manifest.json")
                        && e.getMessage().contains("0 trained tokens"),
                e.getMessage());
        split.lossTokens = 1;
        TrainCommand.requireTrainedTokens(m, "/data/shards");
    }

    @Test
    void aFinalFolderHoldingTheUsersFilesIsRefusedBeforeTrainingAndKept() throws Exception {
        Path base = Files.createDirectories(tmp.resolve("base"));
        FinalSave save = new FinalSave(base, "toy", Map.of());
        Path finalDir = Files.createDirectories(tmp.resolve("mine/final"));
        Files.write(finalDir.resolve("notes.txt"), "mine".getBytes(StandardCharsets.UTF_8));
        Map<String, String> before = tree(tmp.resolve("mine"));
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> run(options("mine", 3), new InMemoryRows(24, 16, VOCAB), Map.of(), save, null));
        assertTrue(
                e.getMessage().contains(finalDir.toString())
                        && e.getMessage().contains("notes.txt")
                        && e.getMessage().contains("--project-name"),
                e.getMessage());
        assertEquals(before, tree(tmp.resolve("mine")), "nothing written, nothing deleted");

        Files.delete(finalDir.resolve("notes.txt"));
        run(options("mine", 3), new InMemoryRows(24, 16, VOCAB), Map.of(), save, null);
        assertTrue(Files.exists(finalDir.resolve("adapter_model.safetensors")));
        Trainer.Result again = run(options("mine", 3), new InMemoryRows(24, 16, VOCAB), Map.of(), save, null);
        assertTrue(again.finalDir != null, "final/ of this project's own earlier run is replaced");
    }

    @Test
    void aCheckpointFolderHoldingTheUsersFilesIsNeitherPrunedNorReplaced() throws Exception {
        Path ckpt = Files.createDirectories(tmp.resolve("keep/checkpoints/checkpoint-3"));
        Files.write(ckpt.resolve("notes.txt"), "mine".getBytes(StandardCharsets.UTF_8));
        ConfigException e = assertThrows(ConfigException.class, () -> run(options("keep", 4)));
        assertTrue(e.getMessage().contains(ckpt.toString()) && e.getMessage().contains("notes.txt"), e.getMessage());
        assertEquals("mine", Files.readString(ckpt.resolve("notes.txt")));
    }
}
