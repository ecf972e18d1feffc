package dev.finetune.app.cli;

import dev.finetune.config.RunConfig;
import dev.finetune.config.Section;
import dev.finetune.trainer.train.Trainer;
import java.io.PrintStream;
import java.nio.file.Paths;
import java.util.EnumSet;
import java.util.Set;

/** prepare → train → generate, the notebook top to bottom, as typed calls: a Manifest, a train result, generations. */
final class RunSubcommand extends Subcommand {
    RunSubcommand() {
        super("run", "prepare, then train, then generate for the configured prompts: the notebook top to bottom");
    }

    @Override
    String description() {
        return "Runs prepare (skipped when its output is already complete), train (resuming from the newest "
                + "checkpoint when one exists) and, when prompts are configured, generate with the new adapter. "
                + "Stops at the first step that fails.\n\n"
                + "  jobs/finetune run --config conf/t4-16gb.yaml";
    }

    @Override
    Set<Section> sections() {
        return EnumSet.allOf(Section.class);
    }

    @Override
    java.nio.file.Path logFile(CommandLine line) {
        return LogFile.forOutputs(line.config().layout(), name);
    }

    @Override
    int run(CommandLine line, PrintStream out) throws Exception {
        RunConfig c = line.config();
        c.require(name, "base_model_id", "dataset_id");
        out.println("run: [1/3] prepare");
        PrepareSubcommand.prepare(c, false, "run " + String.join(" ", line.arguments()));
        out.println("run: [2/3] train");
        Trainer.Result trained = TrainSubcommand.train(c, out);
        String adapter = TrainSubcommand.local(trained.finalDir);
        if (c.prompts.isEmpty()) {
            out.println("run: [3/3] generate skipped: no prompts configured");
        } else {
            out.println("run: [3/3] generate");
            GenerateSubcommand.generate(c, ModelFiles.modelDir(c), Paths.get(adapter), c.prompts, false, out);
        }
        out.println("run: adapter in " + adapter);
        return Main.OK;
    }
}
