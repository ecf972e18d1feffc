package dev.finetune.trainer.cli;

import dev.finetune.config.Section;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Adapter merged into a full-precision copy of the base (optional; costs the memory of the full model). */
final class MergeSubcommand extends Subcommand {
    MergeSubcommand() {
        super("merge", "Merge the adapter into a full-precision copy of the base model (optional)");
    }

    @Override
    String description() {
        return "Writes base + adapter merged into full-precision safetensors (never into a 4-bit base, which "
                + "would lose the update to rounding), with config.json and the tokenizer files, to --output "
                + "(default <base_save_dir>/<project_name>/merged). Needs host memory for the full model.\n\n"
                + "  jobs/finetune merge --config conf/t4-16gb.yaml";
    }

    @Override
    List<Flag> flags() {
        return flags(Flag.value("adapter", "DIR", "Adapter to merge.", "<base_save_dir>/<project_name>/final"),
                Flag.value("output", "DIR", "Where the merged model goes.", "<base_save_dir>/<project_name>/merged"));
    }

    @Override
    Set<Section> sections() {
        return EnumSet.of(Section.PROJECT, Section.MODEL);
    }

    @Override
    int run(CommandLine line, PrintStream out) {
        throw new UnavailableException("merging is not implemented yet; the adapter in final/ loads in peft "
                + "(PeftModel.from_pretrained(base, dir).merge_and_unload()) if you need a merged model");
    }
}
