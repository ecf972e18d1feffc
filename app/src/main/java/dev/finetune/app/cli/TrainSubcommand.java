package dev.finetune.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.config.Section;
import dev.finetune.trainer.collective.CollectiveOptions;
import dev.finetune.trainer.collective.TcpCollective;
import dev.finetune.trainer.collective.TcpGradientSync;
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
import java.util.Set;

/**
 * QLoRA training from token shards, resumable, saving a peft adapter. Three ways to run: one process
 * (world_size 1); {@code --world-size N} on one host, which starts N rank JVMs through {@link LocalLaunch}; or as
 * one rank of a ring ({@code --rank --peers ...}, the flags LocalLaunch and the Spark job's DistributedTrain pass
 * to each child).
 */
final class TrainSubcommand extends Subcommand {
    TrainSubcommand() {
        super("train", "QLoRA training from the shards; checkpoints, resume, final adapter in peft layout");
    }

    @Override
    String description() {
        return "Loads base_model_id (NF4 when use_4bit), adds LoRA adapters to lora_target_modules and trains them "
                + "on the shards in shards_dir. Every save_steps a resumable checkpoint goes to "
                + "<base_save_dir>/<project_name>/checkpoints/checkpoint-<step>/; with resume: auto a restarted run "
                + "continues from the newest one exactly. The adapter ends in <base_save_dir>/<project_name>/final/ "
                + "as peft writes it (adapter_config.json + adapter_model.safetensors), with the tokenizer files, "
                + "the base config.json and a README.md model card.\n\n"
                + "With --world-size N (N > 1) it trains data-parallel on this host: N trainer processes, one per GPU "
                + "(or on CPU with --device cpu), joined by a TCP ring; rank 0 writes checkpoints and final/. On a "
                + "Dataproc cluster use jobs/dataproc/submit-train.sh. The --rank/--peers/... flags are what those "
                + "launchers pass to each rank.\n\n"
                + "  jobs/finetune train --config conf/t4-16gb.yaml --max-steps 200\n"
                + "  jobs/finetune train --config conf/t4-16gb.yaml --world-size 2";
    }

    @Override
    List<Flag> flags() {
        return flags(
                Flag.value("max-attempts", "N", "With --world-size > 1: whole-run attempts; after a failed rank all "
                        + "ranks restart from the last checkpoint.", "1"),
                Flag.value("local-gpus", "I,J,...", "With --world-size > 1: GPU indices for the ranks (rank r gets "
                        + "entry r mod count).", "0..N-1 when GPUs are visible, else CPU"),
                Flag.value("rank", "R", "Set by the launchers: this process's rank, 0..world_size-1."),
                Flag.value("peers", "HOST:PORT,...", "Set by the launchers: every rank's address, in rank order."),
                Flag.value("connect-timeout-s", "S", "Set by the launchers: how long ranks wait for each other.",
                        CollectiveOptions.DEFAULT_CONNECT_TIMEOUT_S + "; " + DistributedTrainOptions.DEFAULT_CONNECT_TIMEOUT_S
                        + " with --world-size > 1"),
                Flag.value("read-timeout-s", "S", "Set by the launchers: longest silence of a live rank.",
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
        if (line.has("peers")) {
            CollectiveOptions co = collective(line, c.worldSize);
            out.println("rank " + co.rank + " of " + co.worldSize + (line.has("attempt") ? ", attempt "
                    + line.get("attempt") : "") + ": joining the ring");
            try (TcpGradientSync sync = new TcpGradientSync(TcpCollective.connect(co))) {
                train(c, sync, out);
            }
        } else if (c.worldSize > 1) {
            if (line.has("rank")) {
                throw new UsageException("--rank without --peers: give every rank's host:port with --peers, or drop "
                        + "--rank to start all " + c.worldSize + " ranks on this host");
            }
            launchLocally(line, c, out);
        } else {
            train(c, out);
        }
        return Main.OK;
    }

    /** The ring flags, as the launchers write them ({@link CollectiveOptions#toArgs}). */
    static CollectiveOptions collective(CommandLine line, int worldSize) {
        if (!line.has("rank")) {
            throw new UsageException("--peers needs --rank (this process's place in the ring, 0.." + (worldSize - 1) + ")");
        }
        CollectiveOptions co;
        try {
            co = CollectiveOptions.of(line.getInt("rank", 0), worldSize, CollectiveOptions.parsePeers(line.get("peers")))
                    .withTimeouts(1000L * line.getInt("connect-timeout-s", CollectiveOptions.DEFAULT_CONNECT_TIMEOUT_S),
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

    /** N rank JVMs on this host (torchrun's role), each running this command as one rank of the ring. */
    private static void launchLocally(CommandLine line, RunConfig c, PrintStream out) throws Exception {
        c.require("train", "base_model_id");
        List<String> gpus = new ArrayList<>();
        if (line.has("local-gpus")) {
            gpus.addAll(Arrays.asList(line.get("local-gpus").split(",")));
        } else if (!"cpu".equals(dev.finetune.trainer.device.DeviceChoice.named(c.device))) {
            int visible = dev.finetune.trainer.device.DeviceChoice.gpuCount();
            for (int g = 0; g < Math.min(visible, c.worldSize); g++) {
                gpus.add(String.valueOf(g));
            }
            if (visible < c.worldSize) {
                throw new ConfigException("world_size = " + c.worldSize + " but this process sees " + visible + " GPUs: one rank "
                        + "per GPU; lower --world-size, or pass --device cpu to train on CPU processes");
            }
        }
        List<String> child = new ArrayList<>();
        child.add("train");
        child.addAll(withoutLauncherFlags(line.arguments()));
        DistributedTrainOptions o = new DistributedTrainOptions(c.worldSize, line.getInt("max-attempts", 1),
                DistributedTrainOptions.DEFAULT_TRAIN_MAIN, childJvmOptions(), gpus, line.getInt("connect-timeout-s",
                DistributedTrainOptions.DEFAULT_CONNECT_TIMEOUT_S), line.getInt("read-timeout-s",
                CollectiveOptions.DEFAULT_READ_TIMEOUT_S), line.isOn("fp16-wire"), child);
        out.println("starting " + c.worldSize + " ranks on this host (" + (gpus.isEmpty() ? "CPU" : "GPUs " + gpus)
                + "); rank 0 writes " + c.outputDir());
        LocalLaunch.run(o);
    }

    /** The user's flags minus those the launcher sets per rank or reads itself. */
    static List<String> withoutLauncherFlags(String[] args) {
        List<String> valued = Arrays.asList("--world-size", "--max-attempts", "--local-gpus", "--connect-timeout-s",
                "--read-timeout-s", "--device");
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

    /** The children run with this JVM's options (heap, module opens) and DJL settings, debugger agents left out. */
    private static List<String> childJvmOptions() {
        List<String> jvm = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp") && !a.startsWith("-javaagent")) {
                jvm.add(a);
            }
        }
        for (String key : new String[] {"ai.djl.offline", "DJL_CACHE_DIR", "ENGINE_CACHE_DIR", "jna.library.path",
                "finetune.home"}) {
            String value = System.getProperty(key); // set in code or by a test runner rather than on the command line
            if (value != null && !jvm.contains("-D" + key + "=" + value)) {
                jvm.add("-D" + key + "=" + value);
            }
        }
        if (!jvm.contains("-XX:+ExitOnOutOfMemoryError")) {
            jvm.add("-XX:+ExitOnOutOfMemoryError"); // a dead rank beats a stuck one
        }
        return jvm;
    }

    /** One training process (world_size 1), as run and demo use it. */
    static Trainer.Result train(RunConfig c, PrintStream out) throws Exception {
        if (c.worldSize != 1) {
            throw new ConfigException("world_size = " + c.worldSize + ": run and demo train in one process; train "
                    + "data-parallel with `jobs/finetune train --config ... --world-size " + c.worldSize + "` (one host) "
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
