package dev.finetune.trainer.distributed;

import dev.finetune.trainer.collective.CollectiveOptions;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * How a launcher lays out and supervises the ranks: the number of ranks, the whole-run attempts, each rank's JVM
 * (main class, options) and what it passes to the collective. The CLI's {@code train} builds it from its flags
 * ({@code --world-size --max-attempts --child-heap --child-jvm-option --local-gpus --connect-timeout-s
 * --read-timeout-s --fp16-wire --libtorch --hf-token-file}) and hands it to whichever launcher runs: the app's
 * Spark barrier job or {@link LocalLaunch} on one host. {@link #childArgs} goes to every rank's trainer first,
 * followed by the flags the launcher sets per rank: the collective's ({@code --rank --world-size --peers
 * --job-token --connect-timeout-s --read-timeout-s [--fp16-wire]}), {@code --attempt N} (1-based) and
 * {@code --device cpu|gpu0}.
 */
public final class DistributedTrainOptions implements Serializable {

    private static final long serialVersionUID = 1L;
    /** Whole-run attempts when none are asked for: a failed rank fails the run. */
    public static final int DEFAULT_MAX_ATTEMPTS = 1;
    /**
     * A rank's Java heap: the model's weights live on the GPU and in libtorch's native memory; the heap holds at
     * most one base tensor as FP32 while loading (the embedding of a 14B model is 3.1 GB) plus the shards' row
     * buffers. Native memory (libtorch, CUDA context, mapped weights) comes on top: see submit-train.sh.
     */
    public static final String DEFAULT_CHILD_HEAP = "8g";
    /**
     * How long launched ranks wait for each other: longer than a hand-started rank's
     * ({@link dev.finetune.trainer.collective.CollectiveOptions#DEFAULT_CONNECT_TIMEOUT_S}), since all of them start
     * their JVMs at once on a loaded host.
     */
    public static final int DEFAULT_CONNECT_TIMEOUT_S = 300;

    /** Number of ranks = barrier tasks = GPUs (or CPU processes), the CLI's --world-size. */
    public final int ranks;
    /**
     * Attempts of the whole run (--max-attempts, default {@value #DEFAULT_MAX_ATTEMPTS}): after a failed rank
     * every rank restarts and resumes from the last checkpoint. A failed barrier result stage is not retried by
     * Spark (docs/platforms.md), so the Spark driver resubmits it itself.
     */
    public final int maxAttempts;
    /** Main class each child JVM runs (the app passes its CLI's, whose first child argument is {@code train}). */
    public final String trainMain;
    /** JVM options of the child, as {@link #childJvmOptions(String, List)} builds them from the flags. */
    public final List<String> childJvmOptions;
    /**
     * A folder on any Hadoop FileSystem (gs://bucket/libtorch-2.7.1-cu128) holding libtorch's shared libraries:
     * each machine copies it once to local disk and the ranks load it (PYTORCH_LIBRARY_PATH) instead of every node
     * downloading libtorch; null = DJL's own download or cache.
     */
    public String libtorch;
    /**
     * Where the driver reads the Hugging Face token when its environment has none (a gs:// object only the
     * cluster's service account can read); null = HF_TOKEN or the token file of the driver's environment.
     */
    public String hfTokenFile;
    /**
     * --local-gpus: GPU indices for ranks that are assigned none (on one host, or Spark in local mode on a multi-GPU
     * machine): rank r gets entry r mod size.
     */
    public final List<String> localGpus;
    /** Passed to the collective: how long ranks wait for each other to start, default 300 s. */
    public final int connectTimeoutS;
    /** Passed to the collective: longest silence of a live rank, default 1800 s. */
    public final int readTimeoutS;
    /** Passed to the collective: FP16 gradients on the wire. */
    public final boolean fp16Wire;
    /** The trainer's own flags. */
    public final List<String> childArgs;

    public DistributedTrainOptions(
            int ranks,
            int maxAttempts,
            String trainMain,
            List<String> childJvmOptions,
            List<String> localGpus,
            int connectTimeoutS,
            int readTimeoutS,
            boolean fp16Wire,
            List<String> childArgs) {
        this.ranks = ranks;
        this.maxAttempts = maxAttempts;
        this.trainMain = trainMain;
        this.childJvmOptions = Collections.unmodifiableList(new ArrayList<>(childJvmOptions));
        this.localGpus = Collections.unmodifiableList(new ArrayList<>(localGpus));
        this.connectTimeoutS = connectTimeoutS;
        this.readTimeoutS = readTimeoutS;
        this.fp16Wire = fp16Wire;
        this.childArgs = Collections.unmodifiableList(new ArrayList<>(childArgs));
        validate();
    }

    /**
     * A rank JVM's options from --child-heap and the --child-jvm-option values: -XX:+ExitOnOutOfMemoryError (a
     * dead rank beats a stuck one), -Xmx{@code heap} unless an option sets -Xmx, then {@code options} in order.
     */
    public static List<String> childJvmOptions(String heap, List<String> options) {
        if (heap == null || !heap.trim().matches("\\d+[kKmMgG]?")) {
            throw new IllegalArgumentException("--child-heap " + heap + ": give a size such as 8g or 6144m");
        }
        List<String> jvm = new ArrayList<>(Collections.singletonList("-XX:+ExitOnOutOfMemoryError"));
        if (options.stream().noneMatch(o -> o.startsWith("-Xmx"))) {
            jvm.add("-Xmx" + heap.trim());
        }
        jvm.addAll(options);
        return jvm;
    }

    /** The child's -Xmx in MiB (the last -Xmx option), or -1 when none is set. */
    public long childHeapMiB() {
        long mib = -1;
        for (String o : childJvmOptions) {
            if (o.startsWith("-Xmx")) {
                mib = sizeMiB(o.substring(4));
            }
        }
        return mib;
    }

    /** A JVM or Spark size (8g, 6144m, 6144 = MiB as Spark reads it, 1024k) in MiB. */
    public static long sizeMiB(String size) {
        String s = size.trim().toLowerCase(java.util.Locale.ROOT);
        char unit = s.charAt(s.length() - 1);
        long n = Long.parseLong(Character.isDigit(unit) ? s : s.substring(0, s.length() - 1));
        switch (unit) {
            case 'k':
                return n / 1024;
            case 'g':
                return n * 1024;
            case 't':
                return n * 1024 * 1024;
            default:
                return n; // m, or no unit: Spark reads MiB
        }
    }

    /**
     * One rank's child command line after the main class: the trainer flags, then the ring's flags, the attempt
     * and the device ({@code gpu0} when {@code gpu} is pinned through CUDA_VISIBLE_DEVICES, else {@code cpu}).
     */
    public List<String> rankArgs(CollectiveOptions co, int attempt, String gpu) {
        List<String> args = new ArrayList<>(childArgs);
        args.addAll(co.toArgs());
        args.addAll(Arrays.asList("--attempt", String.valueOf(attempt), "--device", gpu == null ? "cpu" : "gpu0"));
        return args;
    }

    /** Checks every field; the message names the option, the value and the allowed range. */
    public DistributedTrainOptions validate() {
        if (ranks < 1 || ranks > 4096) {
            throw new IllegalArgumentException("--world-size " + ranks + ": must be in 1..4096");
        }
        if (maxAttempts < 1 || maxAttempts > 100) {
            throw new IllegalArgumentException("--max-attempts " + maxAttempts + ": must be in 1..100");
        }
        if (trainMain == null || trainMain.isEmpty()) {
            throw new IllegalArgumentException("the ranks' main class is empty: give the trainer's entry point");
        }
        if (connectTimeoutS < 1) {
            throw new IllegalArgumentException("--connect-timeout-s " + connectTimeoutS + ": must be >= 1");
        }
        if (readTimeoutS < 1) {
            throw new IllegalArgumentException("--read-timeout-s " + readTimeoutS + ": must be >= 1");
        }
        for (String a : childArgs) {
            if (a.equals("--rank") || a.equals("--world-size") || a.equals("--peers")) {
                throw new IllegalArgumentException(
                        "trainer flag " + a + " is set by the launcher for each rank; remove it");
            }
        }
        return this;
    }
}
