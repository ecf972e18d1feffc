package dev.finetune.trainer.cli;

import dev.finetune.config.RunConfig;
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

    static Outcome train(RunConfig c, PrintStream out) throws Exception {
        c.require("train", "base_model_id");
        throw new UnavailableException("the trainer has not landed yet");
    }
}
