package dev.finetune.app.cli;

import dev.finetune.config.RunConfig;
import dev.finetune.config.Section;
import dev.finetune.pipeline.inspect.InspectMain;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Counts and a few decoded rows of prepared shards, trained tokens marked. */
final class InspectSubcommand extends Subcommand {
    InspectSubcommand() {
        super("inspect", "Show what prepare wrote: counts, and decoded rows with the trained tokens marked");
    }

    @Override
    String description() {
        return "Reads manifest.json and the shards in shards_dir (or --shards DIR) and prints the counts "
                + "(documents, rows, tokens, trained tokens, packing efficiency, truncated documents) and the "
                + "first --rows rows decoded, with the tokens the loss is computed on marked, so you can check "
                + "exactly what will be trained on before spending GPU time.\n\n"
                + "  jobs/finetune inspect --config conf/t4-16gb.yaml --rows 3";
    }

    @Override
    List<Flag> flags() {
        return flags(
                Flag.value("shards", "DIR", "Shard folder to read.", "shards_dir of the configuration"),
                Flag.value("rows", "N", "Rows to decode and print.", "2"),
                Flag.value("split", "NAME", "Split to show (train or validation).", "train"));
    }

    @Override
    Set<Section> sections() {
        return EnumSet.of(Section.PROJECT, Section.MODEL);
    }

    @Override
    int run(CommandLine line, PrintStream out) throws Exception {
        RunConfig c = line.config();
        c.require(name, "base_model_id");
        String split = line.get("split", "train");
        if (!split.equals("train") && !split.equals("validation")) {
            throw new UsageException("--split takes train or validation, got '" + split + "'");
        }
        // errors reach Main, which prints one line and points at `inspect --help` for this command's own flags
        InspectMain.inspect(
                line.get("shards", c.resolvedShardsDir()),
                ModelFiles.tokenizerDir(c).toString(),
                split,
                line.getInt("rows", 2),
                out);
        return Main.OK;
    }
}
