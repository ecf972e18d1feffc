package dev.finetune.trainer.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark-free launcher: three ranks on loopback, one killed mid-run, all restarted, same result. */
class LocalLaunchTest {

    private static final int STEPS = 6;

    @Test
    void killingOneRankRestartsAllFromTheCheckpointAndEndsLikeAnUninterruptedRun(@TempDir Path out) throws Exception {
        AtomicInteger kills = new AtomicInteger();
        Thread killer = new Thread(() -> SmokeTrainMain.killRankAt(out, 1, 3, kills), "killer");
        killer.setDaemon(true);
        killer.start();
        DistributedTrainOptions o = new DistributedTrainOptions(
                3,
                3,
                SmokeTrainMain.class.getName(),
                Collections.singletonList("-Xmx96m"),
                Collections.emptyList(),
                60,
                60,
                true,
                Arrays.asList("--out", out.toString(), "--steps", String.valueOf(STEPS), "--step-ms", "300"));
        int attempts = LocalLaunch.run(o);
        assertEquals(1, kills.get());
        assertEquals(2, attempts);
        assertTrue(Files.list(out).anyMatch(p -> p.getFileName().toString().startsWith("resumed-from-")));
        float[] expected = new float[SmokeTrainMain.SIZE + 1];
        for (int step = 0; step < STEPS; step++) {
            float[] sum = new float[SmokeTrainMain.SIZE];
            for (int r = 0; r < 3; r++) {
                float[] g = SmokeTrainMain.contribution(r, step);
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += g[i];
                }
            }
            for (int i = 0; i < sum.length; i++) {
                expected[1 + i] += sum[i];
            }
        }
        expected[0] = STEPS;
        // FP16 on the wire: contributions up to ~270 sum to ~800, exact in FP16 only to 0.5; compare with tolerance
        float[] got = SmokeTrainMain.read(out.resolve("final.bin"));
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], Math.abs(expected[i]) * 2e-3, "element " + i);
        }
    }
}
