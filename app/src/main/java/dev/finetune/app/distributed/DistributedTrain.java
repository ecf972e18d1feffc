package dev.finetune.app.distributed;

import dev.finetune.hub.HfToken;
import dev.finetune.storage.Storage;
import dev.finetune.trainer.distributed.DistributedTrainOptions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The Spark driver of data-parallel training: a barrier stage with one task per rank ({@link RankTask}), each
 * supervising a trainer JVM. A failed attempt (a lost task, executor or rank) is resubmitted whole, up to
 * {@code --max-attempts} times; the trainer resumes every rank from the last checkpoint, and only rank 0 of a
 * successful attempt publishes. The CLI's {@code train} runs it when spark-submit started the JVM:
 * {@code spark-submit --class dev.finetune.app.cli.Main app-<version>-spark.jar train --world-size 4 --config ...}
 * (jobs/dataproc/submit-train.sh sets the GPU options).
 */
public final class DistributedTrain {

    private static final Logger LOG = LoggerFactory.getLogger(DistributedTrain.class);
    /** The least native memory a rank needs beside its heap (libtorch itself, thread stacks, JIT). */
    static final long MIN_CHILD_NATIVE_MIB = 2048;

    private DistributedTrain() {}

    /** Runs attempts until one succeeds; returns the number of attempts used. */
    public static int run(SparkSession spark, DistributedTrainOptions options) {
        checkConf(spark.sparkContext().getConf(), options);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<Integer> ranks = new ArrayList<>();
        for (int r = 0; r < options.ranks; r++) {
            ranks.add(r);
        }
        HfToken hfToken = hfToken(spark, options);
        Exception last = null;
        SecureRandom random = new SecureRandom();
        for (int attempt = 1; attempt <= options.maxAttempts; attempt++) {
            long token = random.nextLong(); // children of an older attempt cannot join this ring
            jsc.setJobGroup(
                    "finetune-train-attempt-" + attempt,
                    "training attempt " + attempt + " of " + options.maxAttempts,
                    true);
            try {
                RDD<Integer> base = jsc.parallelize(ranks, options.ranks).rdd();
                ClassTag<String> tag = ClassTag$.MODULE$.apply(String.class);
                RDD<String> done =
                        base.barrier().mapPartitions(new RankTask(options, attempt, token, hfToken), false, tag);
                for (String line : new JavaRDD<>(done, tag).collect()) {
                    LOG.info(line);
                }
                LOG.info("training finished in attempt {} of {}", attempt, options.maxAttempts);
                return attempt;
            } catch (Exception e) { // SparkException is checked in Java's eyes but thrown from Scala
                last = e;
                LOG.warn(
                        "training attempt {} of {} failed; {}",
                        attempt,
                        options.maxAttempts,
                        attempt < options.maxAttempts
                                ? "resubmitting, all ranks resume from the last checkpoint"
                                : "giving up",
                        e);
            }
        }
        throw new IllegalStateException(
                "training failed in all " + options.maxAttempts + " attempts (--max-attempts); "
                        + "the last failure is the cause. The last checkpoint is kept: rerun to resume.",
                last);
    }

    /**
     * The Hugging Face token the ranks get in their environment: from --hf-token-file (any Hadoop FileSystem), else
     * the driver's HF_TOKEN or token file; null when there is none (public models).
     */
    static HfToken hfToken(SparkSession spark, DistributedTrainOptions options) {
        if (options.hfTokenFile == null) {
            return HfToken.fromEnvironment(System.getenv()).orElse(null);
        }
        org.apache.hadoop.fs.Path p = Storage.path(options.hfTokenFile);
        try (java.io.InputStream in = Storage.fileSystem(
                        p, Storage.configure(spark.sparkContext().hadoopConfiguration(), System.getenv()))
                .open(p)) {
            byte[] bytes = in.readAllBytes();
            return HfToken.of(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "--hf-token-file " + options.hfTokenFile + ": cannot read a token there ("
                            + e.getClass().getSimpleName()
                            + "); give an object holding only the token, readable by the cluster",
                    e);
        }
    }

    /** Refuses settings barrier mode cannot run with, naming the Spark key and the fix. */
    static void checkConf(SparkConf conf, DistributedTrainOptions options) {
        if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            throw new IllegalArgumentException("spark.dynamicAllocation.enabled=true: barrier stages need it off; "
                    + "pass --conf spark.dynamicAllocation.enabled=false");
        }
        String taskGpus = conf.get("spark.task.resource.gpu.amount", null);
        if (taskGpus != null && Double.parseDouble(taskGpus) != 1.0) {
            throw new IllegalArgumentException("spark.task.resource.gpu.amount=" + taskGpus
                    + ": one rank per GPU needs exactly 1 (a child JVM trains on one GPU)");
        }
        long heap = options.childHeapMiB();
        if (conf.get("spark.master", "").startsWith("yarn") && heap > 0) {
            // the rank's JVM runs inside the executor's container: YARN counts its heap and native memory there
            long overhead = conf.contains("spark.executor.memoryOverhead")
                    ? DistributedTrainOptions.sizeMiB(conf.get("spark.executor.memoryOverhead"))
                    : 0;
            long need = heap + MIN_CHILD_NATIVE_MIB;
            if (overhead < need) {
                throw new IllegalArgumentException("spark.executor.memoryOverhead="
                        + (overhead == 0 ? "unset" : overhead + "m")
                        + ": each rank's trainer JVM (-Xmx" + heap + "m plus libtorch's native memory) runs inside the "
                        + "executor's YARN container; set it to at least " + need + "m (jobs/dataproc/submit-train.sh: "
                        + "CHILD_HEAP + CHILD_NATIVE)");
            }
        }
        if (!conf.contains("spark.barrier.sync.timeout")) {
            LOG.warn(
                    "spark.barrier.sync.timeout is not set (Spark's default is 365 days): set it, e.g. 3600s, so a rank "
                            + "that never reaches the address exchange fails the attempt");
        }
        String master = conf.get("spark.master", "");
        if (master.startsWith("local") && !master.contains(",") && options.maxAttempts > 1) {
            LOG.info(
                    "{}: a failed rank fails the attempt at once; the driver resubmits (max {} attempts)",
                    master,
                    options.maxAttempts);
        }
    }
}
