package dev.finetune.app.cli;

import java.util.Arrays;
import java.util.List;

/** The list of subcommands; Main dispatches on it, help lists it in this order. */
final class Commands {
    private Commands() {}

    static List<Subcommand> all() {
        return Arrays.asList(
                new DemoSubcommand(),
                new PrepareSubcommand(),
                new InspectSubcommand(),
                new TrainSubcommand(),
                new GenerateSubcommand(false),
                new GenerateSubcommand(true),
                new MergeSubcommand(),
                new PushSubcommand(),
                new BenchSubcommand(),
                new RunSubcommand(),
                new ConfigSubcommand());
    }
}
