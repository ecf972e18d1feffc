package dev.finetune.app.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.finetune.app.cli.Main;
import dev.finetune.trainer.distributed.DistributedTrainOptions;
import dev.finetune.trainer.train.EndToEndTrainingTest;
import dev.finetune.trainer.train.RunOutputs;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job with the real trainer (the CLI's {@code train} on the tiny reference Llama, dense FP32, CPU) in
 * local mode with task retries: rank 1's child JVM is killed from outside once checkpoint-2 is complete; the
 * barrier stage fails, the driver resubmits, both ranks resume from the newest checkpoint, and the final adapter
 * equals an uninterrupted run's (1 rank × batch 2, which DataParallelCliLawTest shows equals 2 ranks × batch 1).
 */
class DistributedRealTrainTest {

    private static final int STEPS = 6;
    /** Reads the NaN loss a skipped step logs. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    @Test
    void killingOneRealRankMidRunResubmitsResumesFromTheCheckpointAndEndsLikeAnUninterruptedRun(@TempDir Path tmp)
            throws Exception {
        Path shards = tmp.resolve("shards");
        EndToEndTrainingTest.writeShards(shards, 16, 0);
        Path config = DataParallelCliLawTest.writeConfig(tmp, shards, STEPS);

        Path two = tmp.resolve("two");
        Path run = two.resolve("law");
        AtomicInteger kills = new AtomicInteger();
        AtomicBoolean finalExistedAtKill = new AtomicBoolean();
        Thread killer = new Thread(
                () -> killRankOneAfter(
                        run.resolve("checkpoints/checkpoint-2/_SUCCESS"),
                        run.resolve("final"),
                        kills,
                        finalExistedAtKill),
                "killer");
        killer.setDaemon(true);
        SparkSession spark = SparkSession.builder()
                .master("local[2,3]")
                .appName("distributed-real-train-test")
                .config("spark.ui.enabled", "false")
                .config("spark.barrier.sync.timeout", "300s")
                .getOrCreate();
        int attempts;
        try {
            killer.start();
            DistributedTrainOptions o = new DistributedTrainOptions(
                    2,
                    3,
                    Main.class.getName(),
                    childJvmOptions(),
                    Collections.emptyList(),
                    120,
                    300,
                    false,
                    Arrays.asList(
                            "train",
                            "--config",
                            config.toString(),
                            "--base-save-dir",
                            two.toString(),
                            "--batch-size",
                            "1"));
            attempts = DistributedTrain.run(spark, o);
        } finally {
            spark.stop();
        }
        assertEquals(1, kills.get(), "rank 1's child JVM was killed once");
        assertFalse(finalExistedAtKill.get(), "the kill came before the first attempt could publish final/");
        assertEquals(2, attempts, "the driver resubmitted once and the second attempt finished");

        // the resumed run logs into metrics-<step it resumed at>.jsonl; attempt 1 began metrics-0.jsonl
        int resumedAt = resumedAt(run.resolve("logs"));
        assertTrue(resumedAt >= 2 && resumedAt < STEPS && resumedAt % 2 == 0, "resumed from checkpoint-" + resumedAt);

        Path one = DataParallelCliLawTest.trainOneRankOfDoubleBatch(config, tmp.resolve("one"));

        List<Double> reference = RunOutputs.trainLosses(one.resolve("law/logs/metrics-0.jsonl"));
        Path resumedMetrics = run.resolve("logs/metrics-" + resumedAt + ".jsonl");
        // FP32 gradients are finite: a skipped step (carried into the checkpoint's state) is a trainer fault,
        // not a resume fault, and would otherwise show up only as a loss mismatch below
        assertEquals(
                0L,
                lastSkippedSteps(resumedMetrics),
                "steps skipped for Inf/NaN gradients in FP32 (see " + resumedMetrics
                        + "): the ranks' gradients were not finite");
        List<Double> resumed = RunOutputs.trainLosses(resumedMetrics);
        assertEquals(STEPS, reference.size());
        assertEquals(
                STEPS - resumedAt, resumed.size(), "the resumed run logged steps " + (resumedAt + 1) + ".." + STEPS);
        for (int i = 0; i < resumed.size(); i++) {
            double want = reference.get(resumedAt + i);
            assertEquals(want, resumed.get(i), 1e-5 * Math.abs(want), "loss of step " + (resumedAt + i + 1));
        }
        RunOutputs.assertSameAdapter(
                one.resolve("law/final/adapter_model.safetensors"),
                run.resolve("final/adapter_model.safetensors"),
                1e-5f);
    }

    /**
     * Waits for {@code marker}, then kills the child JVM whose arguments hold {@code --rank 1} (a descendant of this
     * JVM, started by Spark's task), as a crash would; notes whether {@code finalDir} already existed.
     */
    private static void killRankOneAfter(Path marker, Path finalDir, AtomicInteger kills, AtomicBoolean finalExisted) {
        long deadline = System.currentTimeMillis() + 300_000;
        while (!Files.exists(marker) && System.currentTimeMillis() < deadline) {
            sleep(5);
        }
        Optional<ProcessHandle> rank1 = ProcessHandle.current()
                .descendants()
                .filter(DistributedRealTrainTest::isRankOne)
                .findFirst();
        finalExisted.set(Files.exists(finalDir));
        rank1.ifPresent(p -> {
            if (p.destroyForcibly()) {
                kills.incrementAndGet();
            }
        });
    }

    private static boolean isRankOne(ProcessHandle p) {
        String[] args = arguments(p);
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--rank") && args[i + 1].equals("1")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The process's arguments from /proc (ProcessHandle.Info drops a command line as long as the children's
     * class path), else from ProcessHandle.Info.
     */
    private static String[] arguments(ProcessHandle p) {
        Path cmdline = java.nio.file.Paths.get("/proc", String.valueOf(p.pid()), "cmdline");
        try {
            return new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).split("\0");
        } catch (java.io.IOException e) {
            return p.info().arguments().orElse(new String[0]);
        }
    }

    /** The step named by the metrics file a resumed run started (metrics-N.jsonl with N > 0), or -1. */
    private static int resumedAt(Path logs) throws Exception {
        int at = -1;
        try (java.util.stream.Stream<Path> files = Files.list(logs)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String n = p.getFileName().toString();
                if (n.startsWith("metrics-") && n.endsWith(".jsonl")) {
                    int step = Integer.parseInt(n.substring("metrics-".length(), n.length() - ".jsonl".length()));
                    at = step > 0 ? step : at;
                }
            }
        }
        return at;
    }

    /** The children get this JVM's options and the DJL settings surefire passes as system properties. */
    private static List<String> childJvmOptions() {
        List<String> jvm = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-javaagent") && !a.startsWith("-Xmx")) {
                jvm.add(a);
            }
        }
        jvm.add("-Xmx1g");
        for (String key : new String[] {
            "ai.djl.offline", "DJL_CACHE_DIR", "ENGINE_CACHE_DIR", "fixtures.dir", "fixtures.tokenizer.dir"
        }) {
            String value = System.getProperty(key);
            if (value != null) {
                jvm.add("-D" + key + "=" + value);
            }
        }
        return jvm;
    }

    /** The skipped_steps count (cumulative, resumed from the checkpoint) on the file's last train line. */
    private static long lastSkippedSteps(Path metrics) throws Exception {
        long skipped = -1;
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            JsonNode n = JSON.readTree(line);
            if ("train".equals(n.path("kind").asText())) {
                skipped = n.path("skipped_steps").asLong(-1);
            }
        }
        return skipped;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
