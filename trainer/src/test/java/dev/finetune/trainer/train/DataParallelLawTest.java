package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.trainer.distributed.DistributedTrainOptions;
import dev.finetune.trainer.distributed.LocalLaunch;
import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The law "2 ranks × micro-batch b = 1 rank × 2b" (docs/data-contract.md): the toy trainer run as two child JVMs joined by the
 * TCP ring (LocalLaunch) gives the losses and final LoRA weights of one in-process rank with twice the batch;
 * and with one rank killed mid-run, the restarted ranks resume from rank 0's checkpoint and still end there.
 */
class DataParallelLawTest {

    @Test
    void twoRanksOfBatchOneEqualOneRankOfBatchTwo(@TempDir Path tmp) throws Exception {
        Path two = tmp.resolve("two-ranks");
        DistributedTrainOptions o = new DistributedTrainOptions(
                2,
                1,
                DataParallelRankMain.class.getName(),
                childJvm(),
                Collections.emptyList(),
                120,
                120,
                false,
                Arrays.asList("--out", two.toString(), "--batch", "1"));
        assertEquals(1, LocalLaunch.run(o));

        Path one = oneRankOfBatchTwo(tmp);

        List<String> lossesTwo = Files.readAllLines(two.resolve("losses.txt"));
        List<String> lossesOne = Files.readAllLines(one.resolve("losses.txt"));
        assertEquals(DataParallelRankMain.STEPS, lossesOne.size());
        assertEquals(lossesOne.size(), lossesTwo.size());
        for (int i = 0; i < lossesOne.size(); i++) {
            double a = Double.parseDouble(lossesOne.get(i));
            double b = Double.parseDouble(lossesTwo.get(i));
            assertEquals(a, b, 1e-5 * Math.abs(a), "loss of step " + (i + 1));
        }
        float[] p1 = floats(one.resolve("params.bin"));
        float[] p2 = floats(two.resolve("params.bin"));
        assertEquals(p1.length, p2.length);
        for (int i = 0; i < p1.length; i++) {
            assertEquals(p1[i], p2[i], 1e-5f, "LoRA weight " + i);
        }
    }

    @Test
    void aRankKilledMidRunResumesWithTheOthersAndEndsLikeOneRankOfDoubleBatch(@TempDir Path tmp) throws Exception {
        Path two = tmp.resolve("two-ranks-killed");
        // 2 micro-batches per step: forward call 9 is in step 5, after the checkpoint of step 4
        DistributedTrainOptions o = new DistributedTrainOptions(
                2,
                2,
                DataParallelRankMain.class.getName(),
                childJvm(),
                Collections.emptyList(),
                120,
                120,
                false,
                Arrays.asList(
                        "--out",
                        two.toString(),
                        "--batch",
                        "1",
                        "--save-steps",
                        "2",
                        "--die-rank",
                        "1",
                        "--die-at-call",
                        "9"));
        assertEquals(2, LocalLaunch.run(o), "attempt 1 lost rank 1; attempt 2 finished");

        Path one = oneRankOfBatchTwo(tmp);
        List<String> straight = Files.readAllLines(one.resolve("losses.txt"));
        List<String> resumed = Files.readAllLines(two.resolve("losses.txt"));
        assertEquals(2, resumed.size(), "attempt 2 ran steps 5 and 6 only, from checkpoint-4");
        for (int i = 0; i < resumed.size(); i++) {
            double a = Double.parseDouble(straight.get(4 + i));
            assertEquals(a, Double.parseDouble(resumed.get(i)), 1e-5 * Math.abs(a), "loss of step " + (5 + i));
        }
        float[] p1 = floats(one.resolve("params.bin"));
        float[] p2 = floats(two.resolve("params.bin"));
        for (int i = 0; i < p1.length; i++) {
            assertEquals(p1[i], p2[i], 1e-5f, "LoRA weight " + i);
        }
    }

    /** The reference: one rank with micro-batch 2, in its own JVM too (one gradient collector per JVM). */
    private static Path oneRankOfBatchTwo(Path tmp) throws Exception {
        Path one = tmp.resolve("one-rank");
        DistributedTrainOptions o = new DistributedTrainOptions(
                1,
                1,
                DataParallelRankMain.class.getName(),
                childJvm(),
                Collections.emptyList(),
                120,
                120,
                false,
                Arrays.asList("--out", one.toString(), "--batch", "2"));
        assertEquals(1, LocalLaunch.run(o));
        return one;
    }

    private static List<String> childJvm() {
        List<String> jvm = new ArrayList<>(Arrays.asList("-Xmx512m", "-Dai.djl.offline=true"));
        if (System.getProperty("DJL_CACHE_DIR") != null) {
            jvm.add("-DDJL_CACHE_DIR=" + System.getProperty("DJL_CACHE_DIR")); // children share the extracted natives
        }
        return jvm;
    }

    private static float[] floats(Path file) throws Exception {
        long n = Files.size(file) / 4;
        float[] v = new float[(int) n];
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            for (int i = 0; i < n; i++) {
                v[i] = in.readFloat();
            }
        }
        return v;
    }
}
