package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.config.RunConfig;
import dev.finetune.storage.RunLayout;
import dev.finetune.trainer.model.Goldens;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link TrainCommand#train} returns is what the run wrote: the losses equal its metrics file's, and the final
 * adapter, the checkpoints and the metrics file are where {@link RunLayout} says and where they are found on disk.
 */
class TrainResultTest {
    @TempDir
    Path tmp;

    @Test
    void theResultsLossesAndPathsAreThoseTheRunWroteWhereTheLayoutSays() throws Exception {
        Path shards = tmp.resolve("shards");
        EndToEndTrainingTest.writeShards(shards, 8, 2);
        RunConfig c = new RunConfig();
        c.projectName = "result";
        c.baseSaveDir = tmp.resolve("out").toString();
        c.loraR = 4;
        c.loraTargetModules = Arrays.asList("q_proj", "v_proj");
        c.batchSize = 1;
        c.gradientAccumulationSteps = 1;
        c.maxSteps = 5;
        c.saveSteps = 2;
        c.loggingSteps = 1;
        c.evalSteps = 5;
        c.use4bit = false;
        c.device = "cpu";
        TrainOptions o = TrainOptions.of(
                c, Goldens.fixturesModels().resolve("llama").resolve("base").toString(), shards.toString());

        Trainer.Result r = TrainCommand.train(o, new PrintStream(new ByteArrayOutputStream()));
        RunLayout layout = RunLayout.of(c.baseSaveDir, c.projectName);

        Path metrics = local(r.metricsFile);
        assertEquals(Paths.get(layout.metricsFile(0)), metrics);
        List<Double> written = RunOutputs.trainLosses(metrics);
        assertEquals(5, written.size(), "one logged loss per step");
        assertEquals(written, r.loggedLosses, "the result's losses are the metrics file's");
        assertEquals(written, r.losses, "logging every step: each step's loss is its logged loss");
        assertEquals(Arrays.asList(1L, 2L, 3L, 4L, 5L), r.loggedSteps);
        assertTrue(r.lastEvalLoss != null
                && Files.readAllLines(metrics).stream()
                        .anyMatch(l -> l.contains("\"kind\":\"eval\"") && l.contains(String.valueOf(r.lastEvalLoss))));

        assertEquals(Paths.get(layout.finalDir()), local(r.finalDir));
        assertTrue(Files.isRegularFile(local(r.finalDir).resolve("adapter_model.safetensors")));

        List<Path> onDisk;
        try (Stream<Path> s = Files.list(Paths.get(layout.checkpointsDir()))) {
            onDisk = s.filter(p -> p.getFileName().toString().startsWith(RunLayout.CHECKPOINT_PREFIX))
                    .sorted()
                    .collect(Collectors.toList());
        }
        List<Path> returned = new ArrayList<>();
        r.checkpoints.forEach(p -> returned.add(local(p)));
        assertEquals(onDisk, returned, "the result's checkpoints are the folders on disk");
        assertEquals(Arrays.asList(Paths.get(layout.checkpointDir(2)), Paths.get(layout.checkpointDir(4))), returned);
        assertFalse(Files.exists(Paths.get(layout.dataDir())), "shards_dir elsewhere: the run's data/ is not made");
    }

    private static Path local(org.apache.hadoop.fs.Path p) {
        return Paths.get(p.toUri());
    }
}
