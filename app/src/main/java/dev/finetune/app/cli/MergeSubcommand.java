package dev.finetune.app.cli;

import dev.finetune.config.RunConfig;
import dev.finetune.config.Section;
import dev.finetune.storage.Storage;
import dev.finetune.trainer.merge.MergeCommand;
import dev.finetune.trainer.merge.Merger;
import dev.finetune.trainer.merge.OutputDtype;
import java.io.PrintStream;
import java.nio.file.Paths;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Adapter merged into a full-precision copy of the base (optional; the result is as large as the base). */
final class MergeSubcommand extends Subcommand {
    MergeSubcommand() {
        super("merge", "Merge the adapter into the base model's original weights; save a model transformers loads");
    }

    @Override
    String description() {
        return "Adds the adapter to the base model's ORIGINAL weights (W + scale·B·A in FP32, tensor by tensor; never "
                + "into a 4-bit copy, which would lose the update to rounding) and saves a folder transformers loads: "
                + "safetensors shards of at most --max-shard-size with model.safetensors.index.json, config.json "
                + "(dtype set to --dtype), generation_config.json and the tokenizer files. --output may be local, a "
                + "Drive folder, hdfs:// or gs://; the folder is published atomically (_SUCCESS written last) and a "
                + "complete one is replaced only with --overwrite. Host memory: about one tensor beyond the mapped "
                + "base; disk: the size of the base in the output dtype.\n\n"
                + "  jobs/finetune merge --config conf/t4-16gb.yaml --dtype bf16\n"
                + "  jobs/finetune merge --model DIR --adapter DIR --output gs://bucket/merged --max-shard-size 2GB";
    }

    @Override
    List<Flag> flags() {
        return flags(
                Flag.value("model", "DIR", "Base model folder with the original weights (same as --base-model-id)."),
                Flag.value(
                        "adapter",
                        "DIR",
                        "Adapter to merge (peft layout; local or a Hadoop path).",
                        "<base_save_dir>/<project_name>/final"),
                Flag.value(
                        "output",
                        "PATH",
                        "Where the merged model goes (local, Drive, hdfs://, gs://).",
                        "<base_save_dir>/<project_name>/merged"),
                Flag.value("dtype", "bf16|fp16|fp32", "Dtype of the merged weights.", "the base checkpoint's"),
                Flag.value("max-shard-size", "SIZE", "Largest safetensors file, e.g. 5GB, 500MB, 2GiB.", "5GB"),
                Flag.toggle("overwrite", "Replace a complete merged model at --output."));
    }

    @Override
    Set<Section> sections() {
        return EnumSet.of(Section.PROJECT, Section.MODEL);
    }

    @Override
    int run(CommandLine line, PrintStream out) throws Exception {
        RunConfig c = line.config();
        MergeCommand m = new MergeCommand();
        if (line.has("model")) {
            m.model = Paths.get(line.get("model"));
        } else {
            c.require(name, "base_model_id");
            m.model = ModelFiles.modelDir(c);
        }
        m.adapter = line.get("adapter", c.adapterDir());
        m.output = line.get("output", c.mergedDir());
        if (line.has("dtype")) {
            m.dtype = OutputDtype.parse(line.get("dtype"));
        }
        if (line.has("max-shard-size")) {
            m.maxShardBytes = MergeCommand.parseSize(line.get("max-shard-size"));
        }
        m.overwrite = line.isOn("overwrite");
        m.validate();
        Merger.Result r = Merger.run(m, Storage.configuration(), out);
        out.println("merge: " + r.mergedTensors + " weights merged, " + r.files.size() + " files, " + r.totalSize
                + " bytes of " + r.dtype + " in " + r.output);
        return Main.OK;
    }
}
