package dev.finetune.app.cli;

import dev.finetune.app.distributed.DistributedTrain;
import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.config.Section;
import dev.finetune.trainer.collective.CollectiveOptions;
import dev.finetune.trainer.collective.TcpCollective;
import dev.finetune.trainer.collective.TcpGradientSync;
import dev.finetune.trainer.device.DeviceChoice;
import dev.finetune.trainer.distributed.DistributedTrainOptions;
import dev.finetune.trainer.distributed.LocalLaunch;
import dev.finetune.trainer.train.GradientSync;
import dev.finetune.trainer.train.TrainCommand;
import dev.finetune.trainer.train.TrainOptions;
import dev.finetune.trainer.train.Trainer;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.spark.sql.SparkSession;

/**
 * QLoRA training from token shards, resumable, saving a peft adapter. Three ways to run: one process
 * (world_size 1, not under spark-submit); launched ranks, {@code --world-size N} rank JVMs started by a launcher
 * chosen from how this JVM was started ({@link SparkSubmitDriver}): under spark-submit the Spark barrier job
 * ({@link DistributedTrain}, one barrier task per rank, for any N), otherwise {@link LocalLaunch} on this host
 * (N > 1); or as one rank of a ring ({@code --rank --peers ...}, the flags both launchers pass to each child). The
 * launchers get the same {@link DistributedTrainOptions} from the same flags ({@link #launchOptions}).
 */
final class TrainSubcommand extends Subcommand {

    /** Runs the ranks of one run with the options the flags give. */
    interface Launcher {
        void launch(DistributedTrainOptions options, RunConfig c, PrintStream out) throws Exception;
    }

    private final Properties system;
    private final Launcher onSpark;
    private final Launcher onThisHost;

    TrainSubcommand() {
        this(System.getProperties(), TrainSubcommand::launchOnSpark, TrainSubcommand::launchLocally);
    }

    /** With the system properties that decide the launcher and the two launchers (tests record what they get). */
    TrainSubcommand(Properties system, Launcher onSpark, Launcher onThisHost) {
        super("train", "QLoRA training from the shards; checkpoints, resume, final adapter in peft layout");
        this.system = system;
        this.onSpark = onSpark;
        this.onThisHost = onThisHost;
    }

    @Override
    String description() {
        return "Loads base_model_id (NF4 when use_4bit), adds LoRA adapters to lora_target_modules and trains them "
                + "on the shards in shards_dir. Every save_steps a resumable checkpoint goes to "
                + "<base_save_dir>/<project_name>/checkpoints/checkpoint-<step>/; with resume: auto a restarted run "
                + "continues from the newest one exactly. The adapter ends in <base_save_dir>/<project_name>/final/ "
                + "as peft writes it (adapter_config.json + adapter_model.safetensors), with the tokenizer files, "
                + "the base config.json and a README.md model card.\n\n"
                + "With --world-size N it trains data-parallel: N trainer processes (rank JVMs), one per GPU, joined "
                + "by a TCP ring; rank 0 writes checkpoints and final/. Who starts them depends on how this JVM was "
                + "started, and the console says which: under spark-submit (the system properties spark.master and "
                + "spark.submit.deployMode are set) a Spark barrier job with one task per rank on the executors' "
                + "GPUs, also for N = 1; otherwise, for N > 1, N processes on this host (or on CPU with --device "
                + "cpu). The same flags mean the same under both. On Dataproc use jobs/dataproc/submit-train.sh, "
                + "which sets the Spark resources. The --rank/--peers/... flags are what the launchers pass to each "
                + "rank.\n\n"
                + "  jobs/finetune train --config conf/t4-16gb.yaml --max-steps 200\n"
                + "  jobs/finetune train --config conf/t4-16gb.yaml --world-size 2\n"
                + "  spark-submit --class dev.finetune.app.cli.Main app-<version>-spark.jar train --world-size 2 "
                + "--config gs://b/c.yaml";
    }

    @Override
    List<Flag> flags() {
        return flags(
                Flag.value(
                        "max-attempts",
                        "N",
                        "Launched ranks: whole-run attempts; after a failed rank all ranks "
                                + "restart from the last checkpoint (the Spark driver resubmits the barrier stage).",
                        String.valueOf(DistributedTrainOptions.DEFAULT_MAX_ATTEMPTS)),
                Flag.value(
                        "child-heap",
                        "SIZE",
                        "Launched ranks: the heap (-Xmx) of each rank's JVM, e.g. 8g or "
                                + "6144m. The weights live on the GPU and in native memory; on YARN the executor's "
                                + "spark.executor.memoryOverhead must hold this heap plus the rank's native memory.",
                        DistributedTrainOptions.DEFAULT_CHILD_HEAP),
                Flag.value(
                        "child-jvm-option",
                        "OPT",
                        "Launched ranks: one more JVM option for each rank's JVM; "
                                + "repeat for several (an -Xmx here replaces --child-heap)."),
                Flag.value(
                        "local-gpus",
                        "I,J,...",
                        "Launched ranks: GPU indices for the ranks where none is "
                                + "assigned to them (rank r gets entry r mod count); Spark's GPU scheduling assigns its own.",
                        "0..N-1 when GPUs are visible, else CPU"),
                Flag.value(
                        "libtorch",
                        "URI",
                        "Under spark-submit: a folder (gs://...) holding libtorch 2.7.1's "
                                + "libraries; each node copies it once to local disk and its ranks load it instead of "
                                + "downloading libtorch."),
                Flag.value(
                        "hf-token-file",
                        "URI",
                        "Under spark-submit: an object (gs://...) holding only a Hugging "
                                + "Face token; the driver reads it and hands it to each rank in its environment, never as an "
                                + "argument or job property.",
                        "the driver's HF_TOKEN"),
                Flag.value("rank", "R", "Set by the launchers: this process's rank, 0..world_size-1."),
                Flag.value("peers", "HOST:PORT,...", "Set by the launchers: every rank's address, in rank order."),
                Flag.value(
                        "connect-timeout-s",
                        "S",
                        "How long ranks wait for each other (set by the launchers for " + "each rank).",
                        CollectiveOptions.DEFAULT_CONNECT_TIMEOUT_S + "; "
                                + DistributedTrainOptions.DEFAULT_CONNECT_TIMEOUT_S + " for launched ranks"),
                Flag.value(
                        "read-timeout-s",
                        "S",
                        "Longest silence of a live rank (set by the launchers for each " + "rank).",
                        String.valueOf(CollectiveOptions.DEFAULT_READ_TIMEOUT_S)),
                Flag.value("job-token", "N", "Set by the launchers: shared by the ranks of one attempt."),
                Flag.toggle("fp16-wire", "Gradients travel between ranks as FP16 (half the bytes)."),
                Flag.value("attempt", "N", "Set by the launchers: the attempt number (shown in logs)."));
    }

    @Override
    Set<Section> sections() {
        return EnumSet.of(Section.PROJECT, Section.MODEL, Section.LORA, Section.TRAINING, Section.RUNTIME);
    }

    @Override
    java.nio.file.Path logFile(CommandLine line) {
        return LogFile.forOutputs(line.config().layout(), name);
    }

    @Override
    int run(CommandLine line, PrintStream out) throws Exception {
        RunConfig c = line.config();
        boolean spark = SparkSubmitDriver.in(system);
        if (line.has("peers")) {
            CollectiveOptions co = collective(line, c.worldSize);
            out.println("rank " + co.rank + " of " + co.worldSize
                    + (line.has("attempt") ? ", attempt " + line.get("attempt") : "") + ": joining the ring");
            try (TcpGradientSync sync = new TcpGradientSync(TcpCollective.connect(co))) {
                train(c, sync, out);
            }
        } else if (spark || c.worldSize > 1) {
            if (line.has("rank")) {
                throw new UsageException("--rank without --peers: give every rank's host:port with --peers, or drop "
                        + "--rank to launch all " + c.worldSize + " ranks");
            }
            DistributedTrainOptions o = launchOptions(line, c);
            c.require("train", "base_model_id");
            out.println("launcher: "
                    + (spark
                            ? "Spark barrier job, " + o.ranks + " rank" + (o.ranks == 1 ? "" : "s")
                                    + " as barrier tasks"
                            : "LocalLaunch, " + o.ranks + " rank JVMs on this host")
                    + " ("
                    + SparkSubmitDriver.why(system) + "); rank 0 writes " + c.outputDir());
            (spark ? onSpark : onThisHost).launch(o, c, out);
        } else {
            train(c, out);
        }
        return Main.OK;
    }

    /**
     * The launched ranks' options from the flags alone, whichever launcher runs them: world_size ranks of
     * {@link Main} running {@code train} with the user's flags less those the launchers read or set per rank.
     */
    static DistributedTrainOptions launchOptions(CommandLine line, RunConfig c) {
        List<String> child = new ArrayList<>();
        child.add("train");
        child.addAll(withoutLauncherFlags(line.arguments()));
        List<String> gpus = new ArrayList<>();
        if (line.has("local-gpus")) {
            gpus.addAll(Arrays.asList(line.get("local-gpus").split(",")));
        }
        try {
            DistributedTrainOptions o = new DistributedTrainOptions(
                    c.worldSize,
                    line.getInt("max-attempts", DistributedTrainOptions.DEFAULT_MAX_ATTEMPTS),
                    Main.class.getName(),
                    DistributedTrainOptions.childJvmOptions(
                            line.get("child-heap", DistributedTrainOptions.DEFAULT_CHILD_HEAP),
                            line.getAll("child-jvm-option")),
                    gpus,
                    line.getInt("connect-timeout-s", DistributedTrainOptions.DEFAULT_CONNECT_TIMEOUT_S),
                    line.getInt("read-timeout-s", CollectiveOptions.DEFAULT_READ_TIMEOUT_S),
                    line.isOn("fp16-wire"),
                    child);
            o.libtorch = line.get("libtorch");
            o.hfTokenFile = line.get("hf-token-file");
            return o;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** The Spark barrier job: one task per rank on the executors, this JVM its driver. */
    private static void launchOnSpark(DistributedTrainOptions o, RunConfig c, PrintStream out) {
        SparkSession spark = SparkSession.builder()
                .appName("finetune train " + c.projectName)
                .getOrCreate();
        try {
            DistributedTrain.run(spark, o);
        } finally {
            spark.stop();
        }
    }

    /** The ring flags, as the launchers write them ({@link CollectiveOptions#toArgs}). */
    static CollectiveOptions collective(CommandLine line, int worldSize) {
        if (!line.has("rank")) {
            throw new UsageException(
                    "--peers needs --rank (this process's place in the ring, 0.." + (worldSize - 1) + ")");
        }
        CollectiveOptions co;
        try {
            co = CollectiveOptions.of(
                            line.getInt("rank", 0), worldSize, CollectiveOptions.parsePeers(line.get("peers")))
                    .withTimeouts(
                            1000L * line.getInt("connect-timeout-s", CollectiveOptions.DEFAULT_CONNECT_TIMEOUT_S),
                            1000L * line.getInt("read-timeout-s", CollectiveOptions.DEFAULT_READ_TIMEOUT_S))
                    .withFp16Wire(line.isOn("fp16-wire"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage() + " (--world-size " + worldSize + ")");
        }
        if (line.has("job-token")) {
            try {
                co = co.withJobToken(Long.parseLong(line.get("job-token").trim()));
            } catch (NumberFormatException e) {
                throw new UsageException("--job-token takes an integer, got '" + line.get("job-token") + "'");
            }
        }
        return co;
    }

    /**
     * N rank JVMs on this host (torchrun's role), each running this command as one rank of the ring. The ranks get
     * GPUs 0..N-1 unless --local-gpus names them or the device is the CPU, and start with this JVM's own settings
     * ({@link #hostJvmOptions}) before the options' own (the last -Xmx counts: --child-heap's).
     */
    private static void launchLocally(DistributedTrainOptions o, RunConfig c, PrintStream out) throws Exception {
        if (o.libtorch != null) {
            throw new UsageException(
                    "--libtorch applies under spark-submit only; on this host set PYTORCH_LIBRARY_PATH" + " instead");
        }
        if (o.hfTokenFile != null) {
            throw new UsageException(
                    "--hf-token-file applies under spark-submit only; on this host set HF_TOKEN instead");
        }
        List<String> gpus = new ArrayList<>(o.localGpus);
        if (gpus.isEmpty() && !"cpu".equals(DeviceChoice.named(c.device))) {
            int visible = DeviceChoice.gpuCount();
            for (int g = 0; g < Math.min(visible, c.worldSize); g++) {
                gpus.add(String.valueOf(g));
            }
            if (visible < c.worldSize) {
                throw new ConfigException(
                        "world_size = " + c.worldSize + " but this process sees " + visible + " GPUs: one rank "
                                + "per GPU; lower --world-size, or pass --device cpu to train on CPU processes");
            }
        }
        List<String> jvm = hostJvmOptions();
        jvm.addAll(o.childJvmOptions);
        DistributedTrainOptions here = new DistributedTrainOptions(
                o.ranks,
                o.maxAttempts,
                o.trainMain,
                jvm,
                gpus,
                o.connectTimeoutS,
                o.readTimeoutS,
                o.fp16Wire,
                o.childArgs);
        out.println("ranks on " + (gpus.isEmpty() ? "CPU" : "GPUs " + gpus));
        LocalLaunch.run(here);
    }

    /** The user's flags minus those the launcher sets per rank or reads itself. */
    static List<String> withoutLauncherFlags(String[] args) {
        List<String> valued = Arrays.asList(
                "--world-size",
                "--max-attempts",
                "--local-gpus",
                "--connect-timeout-s",
                "--read-timeout-s",
                "--device",
                "--child-heap",
                "--child-jvm-option",
                "--libtorch",
                "--hf-token-file");
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (valued.contains(name)) {
                i += a.contains("=") ? 0 : 1;
            } else if (name.equals("--fp16-wire")) {
                i += !a.contains("=") && i + 1 < args.length && args[i + 1].matches("(?i)true|false") ? 1 : 0;
            } else {
                kept.add(a);
            }
        }
        return kept;
    }

    /**
     * What ranks on this host inherit from this JVM: its options (module opens, FINETUNE_JAVA_OPTS) and DJL
     * settings, debugger agents left out.
     */
    private static List<String> hostJvmOptions() {
        List<String> jvm = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp") && !a.startsWith("-javaagent")) {
                jvm.add(a);
            }
        }
        for (String key :
                new String[] {"ai.djl.offline", "DJL_CACHE_DIR", "ENGINE_CACHE_DIR", "jna.library.path", "finetune.home"
                }) {
            String value = System.getProperty(key); // set in code or by a test runner rather than on the command line
            if (value != null && !jvm.contains("-D" + key + "=" + value)) {
                jvm.add("-D" + key + "=" + value);
            }
        }
        return jvm;
    }

    /** One training process (world_size 1), as run and demo use it. */
    static Trainer.Result train(RunConfig c, PrintStream out) throws Exception {
        if (c.worldSize != 1) {
            throw new ConfigException("world_size = " + c.worldSize + ": run and demo train in one process; train "
                    + "data-parallel with `jobs/finetune train --config ... --world-size " + c.worldSize
                    + "` (one host) "
                    + "or jobs/dataproc/submit-train.sh (Dataproc)");
        }
        return train(c, GradientSync.local(), out);
    }

    /**
     * One rank of {@code sync}'s world through the trainer's {@link TrainCommand}: resumes, checkpoints and saves
     * final/ (rank 0 writes). The losses are this run's own (after a resume: the steps it trained, as in its
     * metrics file), not an earlier run's; ranks other than 0 return no paths.
     */
    static Trainer.Result train(RunConfig c, GradientSync sync, PrintStream out) throws Exception {
        c.require("train", "base_model_id");
        TrainOptions o = TrainOptions.of(c, ModelFiles.modelDir(c).toString(), c.resolvedShardsDir());
        return TrainCommand.train(o, sync, out);
    }

    /** file:/x/y → /x/y; other file systems (gs://) as they are. */
    static String local(org.apache.hadoop.fs.Path p) {
        String scheme = p.toUri().getScheme();
        return scheme == null || scheme.equals("file") ? p.toUri().getPath() : p.toString();
    }
}
