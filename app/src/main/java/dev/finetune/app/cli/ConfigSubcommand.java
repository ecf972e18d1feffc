package dev.finetune.app.cli;

import dev.finetune.config.ConfigLoader;
import dev.finetune.config.ConfigReference;
import dev.finetune.config.RunConfig;
import dev.finetune.config.Section;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Prints the resolved configuration (file + flags, validated): what a run would use. */
final class ConfigSubcommand extends Subcommand {
    ConfigSubcommand() {
        super("config", "Validate a configuration and print it resolved (file, then flags), every key shown");
    }

    @Override
    String description() {
        return "Reads the configuration exactly as every other subcommand does, validates it and prints the "
                + "result as YAML, with the output folders it implies. Nothing is downloaded or written.\n\n"
                + "  jobs/finetune config --config conf/t4-16gb.yaml --lora-r 8";
    }

    @Override
    List<Flag> flags() {
        return flags(Flag.toggle(
                "reference", "Print the reference of every key as Markdown (README.md's table) " + "instead."));
    }

    @Override
    Set<Section> sections() {
        return EnumSet.allOf(Section.class);
    }

    @Override
    java.nio.file.Path logFile(CommandLine line) {
        return null; // starts neither Spark nor DJL, and must not create the run folder
    }

    @Override
    int run(CommandLine line, PrintStream out) {
        if (line.isOn("reference")) {
            out.print(ConfigReference.START + "\n" + ConfigReference.markdown() + "\n" + ConfigReference.END + "\n");
            return Main.OK;
        }
        RunConfig c = line.config();
        out.print(ConfigLoader.toYaml(c));
        out.println("# output:      " + c.outputDir());
        out.println("# shards:      " + c.resolvedShardsDir());
        out.println("# checkpoints: " + c.checkpointsDir());
        out.println("# adapter:     " + c.adapterDir());
        return Main.OK;
    }
}
