package dev.finetune.trainer.cli;

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

    /**
     * What a subcommand whose implementation is not in this build answers: it says so and exits 3, never
     * pretending to have done the work.
     */
    static int unavailable(String command, String what) {
        System.err.println("error: `" + command + "` is not available in this build: " + what);
        return Main.UNAVAILABLE;
    }
}
