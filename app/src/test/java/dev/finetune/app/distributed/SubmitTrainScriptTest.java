package dev.finetune.app.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.app.cli.Main;
import dev.finetune.app.cli.TrainLaunchOptions;
import dev.finetune.trainer.distributed.DistributedTrainOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jobs/dataproc/submit-train.sh run against a stand-in {@code gcloud} that records its arguments: the job it would
 * submit is the CLI's {@code train}, whose flags give options that pass the Spark driver's checks under YARN; the executor's container
 * holds the rank JVM's heap plus its native memory; the token file and libtorch travel as flags, and no secret as a
 * property.
 */
class SubmitTrainScriptTest {

    /** The arguments the script gives gcloud, one per line in the file. */
    private static List<String> submit(Path tmp, Map<String, String> env) throws Exception {
        Files.write(config(tmp), "project_name: p\nbase_model_id: gs://b/model\n".getBytes(StandardCharsets.UTF_8));
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path args = tmp.resolve("gcloud-args");
        Path gcloud = bin.resolve("gcloud");
        Files.write(
                gcloud,
                ("#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > '" + args + "'\n").getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(gcloud, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path script = Paths.get(System.getProperty("project.root"), "jobs/dataproc/submit-train.sh");
        ProcessBuilder pb = new ProcessBuilder(
                        "bash", script.toString(), "--config", config(tmp).toString())
                .redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("JAR", "gs://b/trainer-spark.jar");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return Files.readAllLines(args, StandardCharsets.UTF_8);
    }

    /** The run's configuration the job names (a local file, so that the CLI's parser reads it here). */
    private static Path config(Path tmp) {
        return tmp.resolve("x.yaml");
    }

    /** The --properties value as a SparkConf (the script's ^#^ list form), with YARN as master. */
    private static SparkConf conf(List<String> gcloud) {
        String props = gcloud.get(gcloud.indexOf("--properties") + 1);
        assertTrue(props.startsWith("^#^"), props);
        SparkConf conf = new SparkConf(false).set("spark.master", "yarn");
        for (String kv : props.substring(3).split("#")) {
            int eq = kv.indexOf('=');
            conf.set(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return conf;
    }

    /** What follows the first "--": the CLI's arguments, {@code train ...}. */
    private static List<String> jobArgs(List<String> gcloud) {
        assertEquals(Main.class.getName(), gcloud.get(gcloud.indexOf("--class") + 1), "the one entry point");
        return gcloud.subList(gcloud.indexOf("--") + 1, gcloud.size());
    }

    @Test
    void theSubmittedJobSizesTheContainerForTheRankJvmAndPassesTheDriversChecks(@TempDir Path tmp) throws Exception {
        List<String> gcloud = submit(
                tmp,
                Map.of(
                        "CHILD_HEAP",
                        "6g",
                        "CHILD_NATIVE",
                        "10g",
                        "LIBTORCH",
                        "gs://b/libtorch-2.7.1-cu128",
                        "HF_TOKEN_FILE",
                        "gs://b/secret/hf"));
        SparkConf conf = conf(gcloud);
        DistributedTrainOptions o = TrainLaunchOptions.of(jobArgs(gcloud));
        assertEquals(2, o.ranks, "RANKS' default, as --world-size");
        assertEquals(3, o.maxAttempts, "MAX_ATTEMPTS' default");
        assertEquals(6 * 1024, o.childHeapMiB());
        assertEquals(
                16 * 1024,
                DistributedTrainOptions.sizeMiB(conf.get("spark.executor.memoryOverhead")),
                "overhead = CHILD_HEAP + CHILD_NATIVE");
        assertEquals("gs://b/libtorch-2.7.1-cu128", o.libtorch);
        assertEquals("gs://b/secret/hf", o.hfTokenFile);
        assertEquals("true", conf.get("spark.executorEnv.DJL_OFFLINE"), "a shared libtorch: no download");
        assertEquals(
                Arrays.asList("train", "--config", config(tmp).toString()),
                o.childArgs,
                "the ranks get the user's flags, less those the launcher reads");
        DistributedTrain.checkConf(conf, o); // does not throw
        for (String kv : toStrings(conf)) {
            assertFalse(kv.toUpperCase().contains("HF_TOKEN="), "no token in the job's properties: " + kv);
        }
    }

    @Test
    void aContainerSmallerThanTheRankJvmIsRefusedNamingTheSparkKey(@TempDir Path tmp) throws Exception {
        List<String> gcloud = submit(tmp, Map.of());
        SparkConf conf = conf(gcloud);
        DistributedTrainOptions o = TrainLaunchOptions.of(jobArgs(gcloud));
        assertEquals(8 * 1024, o.childHeapMiB(), "default child heap");
        DistributedTrain.checkConf(conf, o);
        conf.set("spark.executor.memoryOverhead", "4g");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> DistributedTrain.checkConf(conf, o));
        assertTrue(e.getMessage().startsWith("spark.executor.memoryOverhead=4096m"), e.getMessage());
        assertTrue(
                e.getMessage().contains("at least " + (8 * 1024 + DistributedTrain.MIN_CHILD_NATIVE_MIB) + "m"),
                e.getMessage());
    }

    private static List<String> toStrings(SparkConf conf) {
        List<String> out = new ArrayList<>();
        for (scala.Tuple2<String, String> t : conf.getAll()) {
            out.add(t._1() + "=" + t._2());
        }
        return out;
    }
}
