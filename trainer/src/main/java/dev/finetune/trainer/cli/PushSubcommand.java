package dev.finetune.trainer.cli;

import dev.finetune.config.Section;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Upload the final adapter folder to a Hub model repository. */
final class PushSubcommand extends Subcommand {
    PushSubcommand() {
        super("push", "Upload the adapter (and tokenizer, model card) to a Hugging Face Hub repository");
    }

    @Override
    String description() {
        return "Uploads <base_save_dir>/<project_name>/final (or --adapter DIR) to hub_repo_id, creating the "
                + "repository (private unless hub_private: false). Needs a token with write permission in HF_TOKEN "
                + "or the Hugging Face token file; it is never printed. Check the base model's and the dataset's "
                + "licences before publishing.\n\n"
                + "  HF_TOKEN=... jobs/finetune push --config conf/t4-16gb.yaml --hub-repo-id me/qwen-ja-lora";
    }

    @Override
    List<Flag> flags() {
        return flags(Flag.value("adapter", "DIR", "Folder to upload.", "<base_save_dir>/<project_name>/final"));
    }

    @Override
    Set<Section> sections() {
        return EnumSet.of(Section.PROJECT, Section.HUB);
    }

    @Override
    int run(CommandLine line, PrintStream out) {
        line.config().require(name, "hub_repo_id");
        return Commands.unavailable(name, "the Hub upload has not landed yet");
    }
}
