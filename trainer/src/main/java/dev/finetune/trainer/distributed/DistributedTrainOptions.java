package dev.finetune.trainer.distributed;

import dev.finetune.trainer.collective.CollectiveOptions;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * How the Spark job lays out and supervises the ranks. Command line:
 * {@code --ranks N [--max-attempts 3] [--train-main CLASS] [--child-heap 8g] [--child-jvm-option OPT]...
 * [--local-gpus 0,1] [--connect-timeout-s 300] [--read-timeout-s 1800] [--fp16-wire] [--libtorch URI]
 * [--hf-token-file URI] -- <trainer flags>}.
 * Everything after {@code --} goes to every rank's trainer first, followed by the flags the job sets per rank:
 * the collective's ({@code --rank --world-size --peers --job-token --connect-timeout-s --read-timeout-s
 * [--fp16-wire]}), {@code --attempt N} (1-based) and {@code --device cpu|gpu0}.
 */
public final class DistributedTrainOptions implements Serializable {

    private static final long serialVersionUID = 1L;
    /**
     * The trainer's entry point: the CLI, whose first trainer flag is then the subcommand ({@code -- train ...});
     * override with --train-main.
     */
    public static final String DEFAULT_TRAIN_MAIN = "dev.finetune.app.cli.Main";
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

    /** Number of ranks = barrier tasks = GPUs (or CPU processes in local mode). */
    public final int ranks;
    /**
     * Attempts of the whole job, default 3. A failed barrier result stage is not retried by Spark
     * (docs/platforms.md), so the driver resubmits and every rank resumes from the last checkpoint.
     */
    public final int maxAttempts;
    /** Main class each child JVM runs. */
    public final String trainMain;
    /**
     * JVM options of the child: -XX:+ExitOnOutOfMemoryError (a dead rank beats a stuck one), -Xmx from
     * --child-heap (default {@value #DEFAULT_CHILD_HEAP}) unless an -Xmx is given, then the --child-jvm-option
     * values.
     */
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
    /** GPU indices for ranks when Spark assigns none (local mode on a multi-GPU machine): rank r gets entry r mod size. */
    public final List<String> localGpus;
    /** Passed to the collective: how long ranks wait for each other to start, default 300 s. */
    public final int connectTimeoutS;
    /** Passed to the collective: longest silence of a live rank, default 1800 s. */
    public final int readTimeoutS;
    /** Passed to the collective: FP16 gradients on the wire. */
    public final boolean fp16Wire;
    /** The trainer's own flags. */
    public final List<String> childArgs;

    public DistributedTrainOptions(int ranks, int maxAttempts, String trainMain, List<String> childJvmOptions,
            List<String> localGpus, int connectTimeoutS, int readTimeoutS, boolean fp16Wire, List<String> childArgs) {
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

    public static DistributedTrainOptions fromArgs(String[] args) {
        Integer ranks = null;
        int attempts = 3;
        String main = DEFAULT_TRAIN_MAIN;
        List<String> jvm = new ArrayList<>(Collections.singletonList("-XX:+ExitOnOutOfMemoryError"));
        String heap = DEFAULT_CHILD_HEAP;
        String libtorch = null;
        String tokenFile = null;
        List<String> gpus = new ArrayList<>();
        int connect = DEFAULT_CONNECT_TIMEOUT_S;
        int read = dev.finetune.trainer.collective.CollectiveOptions.DEFAULT_READ_TIMEOUT_S;
        boolean fp16 = false;
        List<String> child = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                child.addAll(Arrays.asList(args).subList(i + 1, args.length));
                break;
            }
            switch (a) {
                case "--ranks": ranks = intValue(args, ++i); break;
                case "--max-attempts": attempts = intValue(args, ++i); break;
                case "--train-main": main = value(args, ++i); break;
                case "--child-jvm-option": jvm.add(value(args, ++i)); break;
                case "--child-heap": heap = value(args, ++i); break;
                case "--libtorch": libtorch = value(args, ++i); break;
                case "--hf-token-file": tokenFile = value(args, ++i); break;
                case "--local-gpus": gpus.addAll(Arrays.asList(value(args, ++i).split(","))); break;
                case "--connect-timeout-s": connect = intValue(args, ++i); break;
                case "--read-timeout-s": read = intValue(args, ++i); break;
                case "--fp16-wire": fp16 = true; break;
                default:
                    throw new IllegalArgumentException("unknown flag " + a + "; trainer flags go after --\n" + USAGE);
            }
        }
        if (ranks == null) {
            throw new IllegalArgumentException("--ranks is required (one per GPU)\n" + USAGE);
        }
        if (!heap.matches("\\d+[kKmMgG]?")) {
            throw new IllegalArgumentException("--child-heap=" + heap + ": give a size such as 8g or 6144m");
        }
        if (jvm.stream().noneMatch(o -> o.startsWith("-Xmx"))) {
            jvm.add(1, "-Xmx" + heap);
        }
        DistributedTrainOptions o = new DistributedTrainOptions(ranks, attempts, main, jvm, gpus, connect, read, fp16,
            child);
        o.libtorch = libtorch;
        o.hfTokenFile = tokenFile;
        return o;
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
            case 'k': return n / 1024;
            case 'g': return n * 1024;
            case 't': return n * 1024 * 1024;
            default: return n; // m, or no unit: Spark reads MiB
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

    static final String USAGE = "usage: DistributedTrain --ranks N [--max-attempts 1..100 (3)] [--train-main CLASS]"
        + " [--child-heap SIZE (" + DEFAULT_CHILD_HEAP + ")] [--child-jvm-option OPT]... [--local-gpus 0,1,...]"
        + " [--connect-timeout-s S (" + DEFAULT_CONNECT_TIMEOUT_S + ")] [--read-timeout-s S ("
        + dev.finetune.trainer.collective.CollectiveOptions.DEFAULT_READ_TIMEOUT_S + ")] [--fp16-wire] [--libtorch URI]"
        + " [--hf-token-file URI] -- <trainer flags>";

    /** Checks every field; the message names the option, the value and the allowed range. */
    public DistributedTrainOptions validate() {
        if (ranks < 1 || ranks > 4096) {
            throw new IllegalArgumentException("--ranks=" + ranks + ": must be in 1..4096");
        }
        if (maxAttempts < 1 || maxAttempts > 100) {
            throw new IllegalArgumentException("--max-attempts=" + maxAttempts + ": must be in 1..100");
        }
        if (trainMain == null || trainMain.isEmpty()) {
            throw new IllegalArgumentException("--train-main is empty: give the trainer's main class");
        }
        if (connectTimeoutS < 1 || readTimeoutS < 1) {
            throw new IllegalArgumentException("--connect-timeout-s=" + connectTimeoutS + " / --read-timeout-s=" + readTimeoutS + ": must be >= 1");
        }
        for (String a : childArgs) {
            if (a.equals("--rank") || a.equals("--world-size") || a.equals("--peers")) {
                throw new IllegalArgumentException("trainer flag " + a + " is set by the job for each rank; remove it");
            }
        }
        return this;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException("flag " + args[i - 1] + " needs a value\n" + USAGE);
        }
        return args[i];
    }

    private static int intValue(String[] args, int i) {
        String v = value(args, i);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("flag " + args[i - 1] + "=" + v + ": expected an integer", e);
        }
    }
}
