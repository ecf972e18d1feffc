package dev.finetune.trainer.cli;

import dev.finetune.config.Section;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Hub dataset or files → chat-templated, tokenized, packed token shards (Spark). */
final class PrepareSubcommand extends Subcommand {
    PrepareSubcommand() {
        super("prepare", "Dataset (Hub or parquet/jsonl files) -> tokenized, packed token shards, on Spark");
    }

    @Override
    String description() {
        return "Reads dataset_id (a Hub dataset through its parquet files, or local/Drive/gs:// parquet, jsonl or "
                + "json files), renders conversations with the base model's chat template, tokenizes with its "
                + "tokenizer, packs documents into rows of max_seq_length tokens and writes token shards and "
                + "manifest.json to shards_dir (default <base_save_dir>/<project_name>/data). A complete output is "
                + "left alone unless --overwrite is given. Runs Spark in local mode (spark_master) or under "
                + "spark-submit.\n\n"
                + "  jobs/finetune prepare --config conf/t4-16gb.yaml\n"
                + "  jobs/finetune prepare --base-model-id Qwen/Qwen2.5-7B --dataset-id data/*.jsonl --max-seq-length 512";
    }

    @Override
    List<Flag> flags() {
        return flags(Flag.toggle("overwrite", "Replace an existing complete output in shards_dir."));
    }

    @Override
    Set<Section> sections() {
        return EnumSet.of(Section.PROJECT, Section.MODEL, Section.DATA, Section.RUNTIME);
    }

    @Override
    int run(CommandLine line, PrintStream out) throws Exception {
        line.config().require(name, "base_model_id", "dataset_id");
        return Commands.unavailable(name, "the Spark prepare job has not landed yet");
    }
}
