package dev.finetune.app.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.app.cli.Main;
import dev.finetune.trainer.model.Goldens;
import dev.finetune.trainer.train.EndToEndTrainingTest;
import dev.finetune.trainer.train.RunOutputs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The law "2 ranks × micro-batch b = 1 rank × 2b" (docs/data-contract.md) on the real model path: `finetune train --world-size 2`
 * starts two rank JVMs (LocalLaunch → the CLI's train with --rank/--peers → TcpGradientSync → TrainCommand) on
 * the tiny reference Llama; their per-step losses and final adapter equal one in-process rank with micro-batch 2.
 */
public class DataParallelCliLawTest {

    private static final int STEPS = 4;

    @Test
    void twoRankJvmsOfBatchOneTrainTheReferenceLlamaLikeOneRankOfBatchTwo(@TempDir Path tmp) throws Exception {
        Path shards = tmp.resolve("shards");
        EndToEndTrainingTest.writeShards(shards, 16, 0);
        Path config = writeConfig(tmp, shards, STEPS);

        Path two = tmp.resolve("two");
        ByteArrayOutputStream childLog = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        int rc;
        System.setOut(new PrintStream(childLog, true, "UTF-8")); // LocalLaunch relays the ranks' output here
        try {
            rc = Main.run(
                    new String[] {
                        "train",
                        "--config",
                        config.toString(),
                        "--base-save-dir",
                        two.toString(),
                        "--batch-size",
                        "1",
                        "--world-size",
                        "2",
                        "--connect-timeout-s",
                        "60"
                    },
                    System.out,
                    System.err);
        } finally {
            System.setOut(stdout);
        }
        String log = new String(childLog.toByteArray(), StandardCharsets.UTF_8);
        assertEquals(0, rc, log);
        assertTrue(log.contains("[rank 1] rank 1 of 2, attempt 1: joining the ring"), log);

        Path one = trainOneRankOfDoubleBatch(config, tmp.resolve("one"));

        List<Double> lossesOne = losses(one);
        List<Double> lossesTwo = losses(two);
        assertEquals(STEPS, lossesOne.size());
        assertEquals(STEPS, lossesTwo.size());
        for (int i = 0; i < STEPS; i++) {
            assertEquals(
                    lossesOne.get(i), lossesTwo.get(i), 1e-5 * Math.abs(lossesOne.get(i)), "loss of step " + (i + 1));
        }
        assertTrue(Files.isDirectory(two.resolve("law/checkpoints/checkpoint-2")), "rank 0 wrote the checkpoint");
        RunOutputs.assertSameAdapter(
                one.resolve("law/final/adapter_model.safetensors"),
                two.resolve("law/final/adapter_model.safetensors"),
                1e-5f);
    }

    private static List<Double> losses(Path out) throws Exception {
        return RunOutputs.trainLosses(out.resolve("law/logs/metrics-0.jsonl"));
    }

    /**
     * The 2-rank laws' training config: dense FP32 on CPU, the reference Llama, save every 2 steps. lr 1e-3: a
     * ring and one batch add the same gradients in another order, and AdamW turns float rounding of
     * near-zero gradients into weight differences proportional to lr.
     */
    /** The law's reference: one rank with batch 2 (twice a rank's batch) of {@code config}, under {@code out}. */
    static Path trainOneRankOfDoubleBatch(Path config, Path out) {
        assertEquals(
                0,
                Main.run(
                        new String[] {
                            "train",
                            "--config",
                            config.toString(),
                            "--base-save-dir",
                            out.toString(),
                            "--batch-size",
                            "2"
                        },
                        new PrintStream(new ByteArrayOutputStream()),
                        System.err));
        return out;
    }

    public static Path writeConfig(Path tmp, Path shards, int steps) throws java.io.IOException {
        Path config = tmp.resolve("train.yaml");
        Files.write(
                config,
                ("project_name: law\n"
                                + "base_model_id: "
                                + Goldens.fixturesModels().resolve("llama").resolve("base") + "\n"
                                + "shards_dir: " + shards + "\n"
                                + "use_4bit: false\ncompute_dtype: fp32\ndevice: cpu\n"
                                + "lora_r: 8\nlora_alpha: 16\nlora_dropout: 0.0\nlora_target_modules: [all-linear]\n"
                                + "gradient_accumulation_steps: 1\nlearning_rate: 0.001\nwarmup_steps: 1\nmax_steps: "
                                + steps + "\n"
                                + "logging_steps: 1\nsave_steps: 2\neval_steps: 0\nseed: 7\n")
                        .getBytes(StandardCharsets.UTF_8));
        return config;
    }
}
