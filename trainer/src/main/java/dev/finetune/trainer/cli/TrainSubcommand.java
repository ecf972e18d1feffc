package dev.finetune.trainer.cli;

import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.trainer.train.TrainCommand;
import dev.finetune.trainer.train.TrainOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import dev.finetune.config.Section;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** QLoRA training from token shards, resumable, saving a peft adapter. */
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
                + "  jobs/finetune train --config conf/t4-16gb.yaml --max-steps 200";
    }

    @Override
    Set<Section> sections() {
        return EnumSet.of(Section.PROJECT, Section.MODEL, Section.LORA, Section.TRAINING, Section.RUNTIME);
    }

    @Override
    int run(CommandLine line, PrintStream out) throws Exception {
        train(line.config(), out);
        return Main.OK;
    }

    /** What a training run reports back to run/demo. */
    static final class Outcome {
        /** Loss of every optimizer step of this run, in order. */
        final List<Double> losses;
        /** The last validation loss, or null without validation. */
        final Double evalLoss;
        final String adapterDir;

        Outcome(List<Double> losses, Double evalLoss, String adapterDir) {
            this.losses = losses;
            this.evalLoss = evalLoss;
            this.adapterDir = adapterDir;
        }
    }

    /**
     * One training process (world_size 1) through the trainer's {@link TrainCommand}: resumes, checkpoints and
     * saves final/. The losses come back from the run's metrics log (logs/metrics-0.jsonl), which is what a
     * user reads too. Data-parallel runs go through jobs/dataproc/submit-train.sh.
     */
    static Outcome train(RunConfig c, PrintStream out) throws Exception {
        c.require("train", "base_model_id");
        if (c.worldSize != 1) {
            throw new ConfigException("world_size = " + c.worldSize + ": train runs one process; launch several "
                    + "ranks with jobs/dataproc/submit-train.sh");
        }
        TrainOptions o = OptionsMapping.train(c, ModelFiles.modelDir(c).toString());
        String finalDir = local(TrainCommand.run(o, out));
        List<Double> losses = new ArrayList<>();
        Double eval = null;
        java.nio.file.Path metrics = Paths.get(c.outputDir(), "logs", "metrics-0.jsonl");
        if (Files.isRegularFile(metrics)) {
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
                JsonNode n = json.readTree(line);
                if (n.has("loss") && "train".equals(n.path("kind").asText())) {
                    losses.add(n.get("loss").asDouble());
                } else if (n.has("loss") && "eval".equals(n.path("kind").asText())) {
                    eval = n.get("loss").asDouble();
                }
            }
        }
        return new Outcome(losses, eval, finalDir);
    }

    /** file:/x/y → /x/y; other file systems (gs://) as they are. */
    private static String local(org.apache.hadoop.fs.Path p) {
        String scheme = p.toUri().getScheme();
        return scheme == null || scheme.equals("file") ? p.toUri().getPath() : p.toString();
    }
}
