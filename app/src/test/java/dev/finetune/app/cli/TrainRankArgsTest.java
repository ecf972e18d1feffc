package dev.finetune.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.config.RunConfig;
import dev.finetune.trainer.collective.CollectiveOptions;
import dev.finetune.trainer.distributed.DistributedTrainOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The launchers (the Spark job's RankTask, LocalLaunch, jobs/dataproc/submit-train.sh) and `train` agree on the
 * child command line: what {@link DistributedTrainOptions#rankArgs} builds from `train`'s own options parses
 * through the real CLI parser back to the same ring, world size and device.
 */
class TrainRankArgsTest {

    @Test
    void theChildCommandLineTheLaunchersBuildParsesBackToTheSameRing() {
        // as submit-train.sh calls the CLI: train --world-size N <launcher flags> <user's flags>
        DistributedTrainOptions job = TrainLaunchOptions.of(
                "train",
                "--world-size",
                "3",
                "--fp16-wire",
                "--connect-timeout-s",
                "77",
                "--project-name",
                "p",
                "--max-steps",
                "5");
        CollectiveOptions ring = CollectiveOptions.of(
                        2, 3, CollectiveOptions.parsePeers("10.0.0.1:4000,10.0.0.2:4001,10.0.0.3:4002"))
                .withTimeouts(77_000, 1_800_000)
                .withFp16Wire(true)
                .withJobToken(-4242424242L);
        List<String> args = job.rankArgs(ring, 2, "1");
        assertEquals("train", args.get(0), "the CLI's first argument is the subcommand");

        TrainSubcommand train = (TrainSubcommand) Main.commands().get("train");
        CommandLine line = CommandLine.parse(train, args.subList(1, args.size()).toArray(new String[0]));
        RunConfig c = line.config();
        assertEquals(3, c.worldSize);
        assertEquals("gpu0", c.device, "the pinned GPU is the child's only visible one");
        assertEquals(5, c.maxSteps);
        assertEquals("2", line.get("attempt"));
        CollectiveOptions back = TrainSubcommand.collective(line, c.worldSize);
        assertEquals(ring.toArgs(), back.toArgs());
        assertTrue(back.fp16Wire);
        assertEquals(-4242424242L, back.jobToken);
    }

    @Test
    void cpuRanksGetDeviceCpu() {
        DistributedTrainOptions job = TrainLaunchOptions.of("train", "--world-size", "2");
        List<String> args = job.rankArgs(
                CollectiveOptions.of(0, 2, CollectiveOptions.parsePeers("127.0.0.1:1,127.0.0.1:2")), 1, null);
        CommandLine line = CommandLine.parse(
                Main.commands().get("train"), args.subList(1, args.size()).toArray(new String[0]));
        assertEquals("cpu", line.config().device);
        assertEquals(0, TrainSubcommand.collective(line, 2).rank);
    }

    @Test
    void theLocalLauncherPassesTheUsersFlagsButNotThoseItSetsPerRank() {
        assertEquals(
                Arrays.asList("--config", "c.yaml", "--max-steps", "5", "--no-use-4bit"),
                TrainSubcommand.withoutLauncherFlags(new String[] {
                    "--config",
                    "c.yaml",
                    "--world-size",
                    "2",
                    "--max-steps",
                    "5",
                    "--device=cpu",
                    "--fp16-wire",
                    "true",
                    "--local-gpus",
                    "0,1",
                    "--child-heap",
                    "6g",
                    "--child-jvm-option",
                    "-Dx=1",
                    "--libtorch=gs://b/lib",
                    "--no-use-4bit",
                    "--hf-token-file",
                    "gs://b/t",
                    "--max-attempts",
                    "2"
                }));
    }

    @Test
    void peersWithoutRankOrOfTheWrongCountAreRefusedNamingTheFlag() {
        CommandLine noRank = CommandLine.parse(
                Main.commands().get("train"), new String[] {"--world-size", "2", "--peers", "127.0.0.1:1,127.0.0.1:2"});
        assertTrue(assertThrows(UsageException.class, () -> TrainSubcommand.collective(noRank, 2))
                .getMessage()
                .contains("--rank"));
        CommandLine three = CommandLine.parse(
                Main.commands().get("train"),
                new String[] {"--world-size", "2", "--rank", "0", "--peers", "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3"});
        assertTrue(assertThrows(UsageException.class, () -> TrainSubcommand.collective(three, 2))
                .getMessage()
                .contains("--peers"));
    }

    @Test
    void theDataprocScriptSubmitsTheCliWithTheTrainSubcommand() throws Exception {
        String script = new String(
                Files.readAllBytes(
                        Paths.get(System.getProperty("project.root"), "jobs", "dataproc", "submit-train.sh")),
                StandardCharsets.UTF_8);
        assertTrue(script.contains("--class " + Main.class.getName()), "job class: the one entry point");
        assertTrue(
                script.contains("-- train --world-size \"$RANKS\" \"${TRAIN_FLAGS[@]}\" \"$@\""),
                "the job's arguments are `train`'s, the ranks as --world-size");
    }
}
