package dev.finetune.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.config.ConfigSchema;
import dev.finetune.config.RunConfig;
import dev.finetune.trainer.distributed.DistributedTrainOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One command, two launchers: `train --world-size N` run through the CLI's entry with the system properties
 * spark-submit sets for its driver (client mode; YARN cluster mode) hands the Spark launcher the same
 * {@link DistributedTrainOptions} that the same flags hand the local launcher without them, and says on the
 * console which launcher it chose and why. The ranks' own arguments parse back to the configuration the user
 * gave. The launchers here record what they get instead of starting JVMs.
 */
class TrainLauncherLawTest {
    @TempDir
    Path tmp;

    /** What one run handed a launcher, and which one. */
    private static final class Launched {
        String launcher;
        DistributedTrainOptions options;
        String console;
    }

    private static Properties clientMode() {
        Properties p = new Properties();
        p.setProperty("spark.master", "spark://10.0.0.2:7077");
        p.setProperty("spark.submit.deployMode", "client");
        p.setProperty("spark.app.name", "dev.finetune.app.cli.Main");
        return p;
    }

    private static Properties yarnClusterMode() {
        Properties p = new Properties();
        p.setProperty("spark.master", "yarn");
        p.setProperty("spark.submit.deployMode", "cluster");
        p.setProperty("spark.yarn.app.id", "application_1_0001");
        return p;
    }

    /** A JVM started by hand: no Spark properties, or only a -Dspark.master given to it. */
    private static Properties byHand(boolean withMaster) {
        Properties p = new Properties();
        if (withMaster) {
            p.setProperty("spark.master", "local[2]");
        }
        return p;
    }

    private Launched run(Properties system, String... args) {
        Launched got = new Launched();
        TrainSubcommand train = new TrainSubcommand(
                system,
                (o, c, out) -> {
                    got.launcher = "spark";
                    got.options = o;
                },
                (o, c, out) -> {
                    got.launcher = "local";
                    got.options = o;
                });
        Map<String, Subcommand> commands = new LinkedHashMap<>(Main.commands());
        commands.put("train", train);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(Arrays.asList(
                "train",
                "--base-model-id",
                tmp.resolve("model").toString(),
                "--base-save-dir",
                tmp.resolve("runs").toString()));
        all.addAll(Arrays.asList(args));
        int rc = Main.run(
                all.toArray(new String[0]), new PrintStream(out, true), new PrintStream(err, true), false, commands);
        assertEquals(Main.OK, rc, new String(err.toByteArray(), StandardCharsets.UTF_8));
        got.console = new String(out.toByteArray(), StandardCharsets.UTF_8);
        return got;
    }

    /** Every field of the options, in one comparable list. */
    private static List<Object> fields(DistributedTrainOptions o) {
        return Arrays.asList(
                o.ranks,
                o.maxAttempts,
                o.trainMain,
                o.childJvmOptions,
                o.localGpus,
                o.connectTimeoutS,
                o.readTimeoutS,
                o.fp16Wire,
                o.childArgs,
                o.libtorch,
                o.hfTokenFile);
    }

    private static final String[][] FLAG_SETS = {
        {"--world-size", "2"},
        {
            "--world-size=3",
            "--max-attempts",
            "2",
            "--child-heap",
            "6g",
            "--child-jvm-option",
            "-Dx=1",
            "--child-jvm-option",
            "-XX:+UseG1GC",
            "--local-gpus",
            "0,1",
            "--connect-timeout-s",
            "77",
            "--read-timeout-s=99",
            "--fp16-wire",
            "--max-steps",
            "5",
            "--device",
            "cpu",
            "--libtorch",
            "gs://b/lib",
            "--hf-token-file",
            "gs://b/secret/hf",
            "--lora-r",
            "4"
        },
        {"--world-size", "4", "--child-jvm-option=-Xmx3g", "--fp16-wire", "false", "--no-use-4bit"},
    };

    @Test
    void theSameTrainFlagsGiveTheSameOptionsUnderSparkSubmitAndOnThisHost() {
        for (String[] flags : FLAG_SETS) {
            Launched local = run(byHand(false), flags);
            Launched localWithMaster = run(byHand(true), flags);
            Launched client = run(clientMode(), flags);
            Launched cluster = run(yarnClusterMode(), flags);
            String what = String.join(" ", flags);
            assertEquals("local", local.launcher, what);
            assertEquals("local", localWithMaster.launcher, "-Dspark.master alone is not spark-submit: " + what);
            assertEquals("spark", client.launcher, what);
            assertEquals("spark", cluster.launcher, what);
            assertEquals(fields(local.options), fields(client.options), what);
            assertEquals(fields(local.options), fields(cluster.options), what);
            assertEquals(fields(local.options), fields(localWithMaster.options), what);
        }
    }

    @Test
    void theConsoleSaysWhichLauncherRunsAndWhyInOneLine() {
        Launched local = run(byHand(false), "--world-size", "2");
        Launched cluster = run(yarnClusterMode(), "--world-size", "2");
        assertEquals(1, launcherLines(local.console).size(), local.console);
        assertEquals(1, launcherLines(cluster.console).size(), cluster.console);
        String l = launcherLines(local.console).get(0);
        assertTrue(
                l.startsWith("launcher: LocalLaunch, 2 rank JVMs on this host")
                        && l.contains("spark-submit did not " + "start this JVM: no spark.master system property"),
                l);
        String s = launcherLines(cluster.console).get(0);
        assertTrue(
                s.startsWith("launcher: Spark barrier job, 2 ranks as barrier tasks")
                        && s.contains("spark-submit "
                                + "started this JVM: spark.master=yarn, spark.submit.deployMode=cluster"),
                s);
    }

    private static List<String> launcherLines(String console) {
        List<String> lines = new ArrayList<>();
        for (String line : console.split("\n")) {
            if (line.startsWith("launcher: ")) {
                lines.add(line);
            }
        }
        return lines;
    }

    @Test
    void underSparkSubmitOneRankIsABarrierTaskToo() {
        Launched one = run(clientMode());
        assertEquals("spark", one.launcher, "the driver has no GPU: the rank runs on an executor");
        assertEquals(1, one.options.ranks);
    }

    @Test
    void theRanksTrainTheConfigurationTheUserGave() {
        String[] flags = FLAG_SETS[1];
        DistributedTrainOptions o = run(clientMode(), flags).options;
        assertEquals(Main.class.getName(), o.trainMain);
        assertEquals("train", o.childArgs.get(0));
        List<String> user = new ArrayList<>(Arrays.asList(
                "--base-model-id",
                tmp.resolve("model").toString(),
                "--base-save-dir",
                tmp.resolve("runs").toString()));
        user.addAll(Arrays.asList(flags));
        RunConfig given = CommandLine.parse(Main.commands().get("train"), user.toArray(new String[0]))
                .config();
        RunConfig rank = CommandLine.parse(
                        Main.commands().get("train"),
                        o.childArgs.subList(1, o.childArgs.size()).toArray(new String[0]))
                .config();
        for (String key : ConfigSchema.get().names()) {
            if (key.equals("world_size") || key.equals("device")) {
                continue; // set per rank by the launcher (TrainRankArgsTest)
            }
            assertEquals(
                    ConfigSchema.get().key(key).get(given),
                    ConfigSchema.get().key(key).get(rank),
                    key);
        }
    }
}
