package dev.finetune.app.cli;

import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.config.Section;
import dev.finetune.hub.CommitResult;
import dev.finetune.hub.HubClient;
import dev.finetune.hub.HubRepo;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
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
    int run(CommandLine line, PrintStream out) throws IOException {
        RunConfig c = line.config();
        c.require(name, "hub_repo_id");
        Path folder = Paths.get(line.get("adapter", c.adapterDir()));
        if (!Files.isRegularFile(folder.resolve("adapter_config.json"))) {
            throw new ConfigException("nothing to push: " + folder + " has no adapter_config.json (train first, or "
                    + "give --adapter DIR)");
        }
        HubClient hub = HubClient.fromEnvironment();
        if (!hub.settings().hasToken()) {
            throw new ConfigException("push needs a Hugging Face token with write permission: set HF_TOKEN or run "
                    + "`huggingface-cli login`");
        }
        out.println("push: uploading " + folder + " to " + c.hubRepoId + (c.hubPrivate ? " (private)" : " (public)"));
        CommitResult r = hub.push(
                HubRepo.model(c.hubRepoId),
                folder,
                "main",
                "Upload LoRA adapter " + c.projectName + " (finetune)",
                c.hubPrivate);
        out.println("push: " + r.uploaded().size() + " files uploaded, "
                + r.unchanged().size() + " unchanged: " + r.commitUrl());
        return Main.OK;
    }
}
