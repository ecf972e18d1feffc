package dev.finetune.app.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.trainer.distributed.DistributedTrainOptions;
import dev.finetune.trainer.distributed.SmokeTrainMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job in local mode with task retries ({@code local[N,F]}): killing one rank's child JVM mid-run fails
 * the barrier stage; the driver resubmits; every rank resumes from rank 0's checkpoint; the published state equals
 * what an uninterrupted run computes.
 */
class DistributedTrainTest {

    private static final int STEPS = 8;

    @Test
    void killingOneRanksChildMidRunResubmitsResumesAndEndsLikeAnUninterruptedRun(@TempDir Path out) throws Exception {
        SparkSession spark = SparkSession.builder()
                .master("local[2,3]")
                .appName("distributed-train-test")
                .config("spark.ui.enabled", "false")
                .config("spark.barrier.sync.timeout", "120s")
                .getOrCreate();
        AtomicInteger kills = new AtomicInteger();
        Thread killer = new Thread(() -> SmokeTrainMain.killRankAt(out, 1, 3, kills), "killer");
        killer.setDaemon(true);
        killer.start();
        int attempts;
        try {
            DistributedTrainOptions o = new DistributedTrainOptions(
                    2,
                    3,
                    SmokeTrainMain.class.getName(),
                    Collections.singletonList("-Xmx128m"),
                    Collections.emptyList(),
                    60,
                    60,
                    false,
                    Arrays.asList("--out", out.toString(), "--steps", String.valueOf(STEPS), "--step-ms", "400"));
            attempts = DistributedTrain.run(spark, o);
        } finally {
            spark.stop();
        }
        assertEquals(1, kills.get(), "rank 1's child was killed once");
        assertEquals(2, attempts, "the driver resubmitted once");
        try (Stream<Path> files = Files.list(out)) {
            Optional<Path> resumed = files.filter(
                            p -> p.getFileName().toString().startsWith("resumed-from-"))
                    .findFirst();
            assertTrue(resumed.isPresent(), "the second attempt resumed from a checkpoint");
            int from = Integer.parseInt(resumed.get().getFileName().toString().substring("resumed-from-".length()));
            assertTrue(from >= 2 && from < STEPS, "resumed from step " + from);
        }
        assertArrayEquals(uninterrupted(), SmokeTrainMain.read(out.resolve("final.bin")), 0f);
    }

    /** The state an uninterrupted 2-rank run publishes: the same float operations in the same order. */
    private static float[] uninterrupted() {
        float[] state = new float[SmokeTrainMain.SIZE + 1];
        for (int step = 0; step < STEPS; step++) {
            float[] a = SmokeTrainMain.contribution(0, step);
            float[] b = SmokeTrainMain.contribution(1, step);
            for (int i = 0; i < SmokeTrainMain.SIZE; i++) {
                state[1 + i] += a[i] + b[i];
            }
        }
        state[0] = STEPS;
        return state;
    }
}
