package dev.finetune.app.cli;

import dev.finetune.trainer.distributed.DistributedTrainOptions;
import java.util.Arrays;
import java.util.List;

/** The launched ranks' options a `train` command line gives, through the CLI's own parser (for other packages' tests). */
public final class TrainLaunchOptions {
    private TrainLaunchOptions() {}

    /** {@code args} as after the jar in spark-submit or after {@code jobs/finetune}: {@code train ...}. */
    public static DistributedTrainOptions of(String... args) {
        return of(Arrays.asList(args));
    }

    public static DistributedTrainOptions of(List<String> args) {
        if (args.isEmpty() || !args.get(0).equals("train")) {
            throw new IllegalArgumentException("not a train command line: " + args);
        }
        CommandLine line = CommandLine.parse(
                Main.commands().get("train"), args.subList(1, args.size()).toArray(new String[0]));
        return TrainSubcommand.launchOptions(line, line.config());
    }
}
