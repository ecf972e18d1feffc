package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.finetune.config.RunConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loop's laws on a toy bigram model: loss falls, resume equals uninterrupted, NaN steps are skipped. */
class TrainerLoopTest {

    private static final int VOCAB = 16;

    @TempDir
    java.nio.file.Path tmp;

    private TrainOptions options(String project, long maxSteps) {
        return ToyRuns.options(config(project, maxSteps));
    }

    private RunConfig config(String project, long maxSteps) {
        RunConfig o = ToyRuns.config(project, tmp, maxSteps);
        o.loggingSteps = 2;
        o.saveSteps = 3;
        o.saveTotalLimit = 2;
        o.maxGradNorm = 1.0;
        o.weightDecay = 0.01;
        return o;
    }

    private Trainer.Result run(TrainOptions o, ToyBigramModel model, NDManager manager) throws Exception {
        return run(o, model, manager, new PrintStream(new ByteArrayOutputStream()));
    }

    private Trainer.Result run(TrainOptions o, ToyBigramModel model, NDManager manager, PrintStream console)
            throws Exception {
        OutputLocation out = OutputLocation.of(o.baseSaveDir, o.projectName, new Configuration());
        Trainer t = new Trainer(
                o,
                model,
                new InMemoryRows(24, 16, VOCAB),
                new InMemoryRows(6, 16, VOCAB),
                GradientSync.local(),
                out,
                manager,
                false,
                null,
                console);
        return t.run();
    }

    @Test
    void theConsoleShowsTheLoggedLossLearningRateAndGradNormAtEveryLoggingStep() throws Exception {
        TrainOptions o = options("console", 8);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        try (NDManager manager = NDManager.newBaseManager()) {
            run(o, new ToyBigramModel(manager, VOCAB, 4, 0f, 3), manager, new PrintStream(console, true, "UTF-8"));
        }
        java.util.regex.Pattern line =
                java.util.regex.Pattern.compile("step (\\d+)/8 .* loss (\\S+) lr (\\S+) grad_norm (\\S+) ");
        java.util.List<String> shown = new java.util.ArrayList<>();
        for (String l : console.toString("UTF-8").split("\\R")) {
            java.util.regex.Matcher m = line.matcher(l);
            if (m.find()) {
                shown.add(m.group(1) + " " + m.group(2) + " " + m.group(3) + " " + m.group(4));
            }
        }
        java.util.List<String> logged = new java.util.ArrayList<>();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String l : Files.readAllLines(tmp.resolve("console/logs/metrics-0.jsonl"))) {
            com.fasterxml.jackson.databind.JsonNode n = json.readTree(l);
            if (n.has("grad_norm")) {
                logged.add(String.format(
                        java.util.Locale.ROOT,
                        "%d %.4f %.3g %.3g",
                        n.get("step").asLong(),
                        n.get("loss").asDouble(),
                        n.get("learning_rate").asDouble(),
                        n.get("grad_norm").asDouble()));
            }
        }
        assertEquals(4, logged.size(), "logging_steps 2 of 8 steps: " + logged);
        assertEquals(logged, shown);
    }

    @Test
    void lossFallsAndLogsCheckpointsAndCurveAreWritten() throws Exception {
        RunConfig c = config("falls", 24);
        c.evalSteps = 12;
        TrainOptions o = ToyRuns.options(c);
        try (NDManager manager = NDManager.newBaseManager()) {
            ToyBigramModel model = new ToyBigramModel(manager, VOCAB, 4, 0f, 3);
            Trainer.Result r = run(o, model, manager);
            double first = (r.losses.get(0) + r.losses.get(1)) / 2;
            double last = (r.losses.get(22) + r.losses.get(23)) / 2;
            assertTrue(last < first * 0.8, "loss should fall: first " + first + ", last " + last);
            assertNotNull(r.lastEvalLoss);
        }
        java.nio.file.Path project = tmp.resolve("falls");
        java.nio.file.Path ckpts = project.resolve("checkpoints");
        try (java.util.stream.Stream<java.nio.file.Path> s = Files.list(ckpts)) {
            // saved at 3..21 every 3 steps, the last two kept
            assertEquals(
                    List.of("checkpoint-18", "checkpoint-21"),
                    s.map(p -> p.getFileName().toString()).sorted().collect(java.util.stream.Collectors.toList()));
        }
        assertTrue(Files.exists(ckpts.resolve("checkpoint-21").resolve(CheckpointStore.MARKER)));
        assertTrue(Files.exists(ckpts.resolve("checkpoint-21").resolve(OptimizerStateFile.FILE)));
        assertTrue(Files.size(project.resolve("logs").resolve("loss_curve.png")) > 1000);
        String jsonl = new String(Files.readAllBytes(project.resolve("logs").resolve("metrics-0.jsonl")));
        assertEquals(12 + 2, jsonl.split("\n").length, "12 train lines (every 2 steps) + 2 eval lines");
        assertTrue(
                jsonl.contains("\"grad_norm\"") && jsonl.contains("\"tokens_per_s\"") && jsonl.contains("perplexity"));
    }

    @Test
    void killingAtARandomStepAndResumingGivesTheUninterruptedLossesAndAdapter() throws Exception {
        long steps = 10;
        Map<String, float[]> expected;
        List<Double> expectedLosses;
        try (NDManager manager = NDManager.newBaseManager()) {
            ToyBigramModel model = new ToyBigramModel(manager, VOCAB, 4, 0.2f, 5);
            Trainer.Result r = run(options("straight", steps), model, manager);
            expected = model.snapshot();
            expectedLosses = r.losses;
        }
        int killAt = 7 + new Random().nextInt(2 * (int) steps - 8); // a forward call after the first checkpoint
        try (NDManager manager = NDManager.newBaseManager()) {
            ToyBigramModel model = new ToyBigramModel(manager, VOCAB, 4, 0.2f, 5);
            model.beforeCall = i -> {
                if (i == killAt) {
                    throw new IllegalStateException("killed");
                }
            };
            assertThrows(IllegalStateException.class, () -> run(options("resumed", steps), model, manager));
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            ToyBigramModel model =
                    new ToyBigramModel(manager, VOCAB, 4, 0.2f, 999); // other init: resume must overwrite it
            Trainer.Result r = run(options("resumed", steps), model, manager);
            assertTrue(r.firstStep > 0 && r.firstStep % 3 == 0, "resumed from a checkpoint, got step " + r.firstStep);
            for (int i = 0; i < r.losses.size(); i++) {
                assertEquals(
                        expectedLosses.get((int) r.firstStep + i),
                        r.losses.get(i),
                        0.0,
                        "loss of step " + (r.firstStep + i + 1) + " (killed at forward call " + killAt + ")");
            }
            Map<String, float[]> got = model.snapshot();
            for (String k : expected.keySet()) {
                assertArrayEquals(expected.get(k), got.get(k), 0f, k);
            }
        }
    }

    @Test
    void aNanLossSkipsTheStepAndLeavesTheAdapterUntouched() throws Exception {
        RunConfig c = config("nan", 4);
        c.saveSteps = 100;
        TrainOptions o = ToyRuns.options(c);
        try (NDManager manager = NDManager.newBaseManager()) {
            ToyBigramModel model = new ToyBigramModel(manager, VOCAB, 4, 0f, 3);
            model.poisonCall = 3; // second micro-batch of step 2
            Map<String, float[]>[] before = new Map[1];
            model.beforeCall = i -> {
                if (i == 2) {
                    before[0] = model.snapshot();
                }
                if (i == 4) {
                    Map<String, float[]> after = model.snapshot();
                    for (String k : after.keySet()) {
                        assertArrayEquals(before[0].get(k), after.get(k), 0f, "skipped step changed " + k);
                    }
                }
            };
            Trainer.Result r = run(o, model, manager);
            assertEquals(1, r.skippedSteps);
            assertTrue(Double.isNaN(r.losses.get(1)));
            assertFalse(Double.isNaN(r.losses.get(2)), "the step after a skipped one trains normally");
            for (float[] w : model.snapshot().values()) {
                for (float v : w) {
                    assertTrue(Float.isFinite(v));
                }
            }
        }
    }

    @Test
    void aCheckpointWithoutItsMarkerIsNeverTakenForTheLatest() throws Exception {
        OutputLocation out = OutputLocation.of(tmp.toString(), "marker", new Configuration());
        CheckpointStore store = new CheckpointStore(out.fs, out.checkpoints(), 0);
        java.nio.file.Path local = Files.createDirectories(tmp.resolve("local"));
        Files.write(local.resolve("x.bin"), new byte[] {1, 2, 3});
        store.publish(4, local);
        out.fs.mkdirs(new Path(out.checkpoints(), "checkpoint-8")); // a save cut before its marker
        assertEquals("checkpoint-4", store.latest().getName());
        store.publish(6, local);
        assertFalse(out.fs.exists(new Path(out.checkpoints(), "checkpoint-8")), "unmarked folders are cleaned up");
        assertEquals("checkpoint-6", store.latest().getName());
    }
}
