package dev.finetune.app.cli;

import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.config.Section;
import dev.finetune.pipeline.ingest.TokenizerEncoderFactory;
import dev.finetune.pipeline.spark.PrepareJob;
import dev.finetune.pipeline.spark.PrepareOptions;
import dev.finetune.shards.Manifest;
import java.io.IOException;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

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
    java.nio.file.Path logFile(CommandLine line) {
        return LogFile.forOutputs(line.config().layout(), name);
    }

    @Override
    int run(CommandLine line, PrintStream out) throws Exception {
        prepare(line.config(), line.isOn("overwrite"), "prepare " + String.join(" ", line.arguments()));
        return Main.OK;
    }

    /** Runs the Spark job (local mode unless under spark-submit); returns the published (or existing) manifest. */
    static Manifest prepare(RunConfig c, boolean overwrite, String command) throws IOException {
        c.require("prepare", "base_model_id", "dataset_id");
        PrepareOptions o;
        try {
            o = PrepareOptions.of(
                    c.prepare(), c.sparkMaster, ModelFiles.tokenizerDir(c).toString(), overwrite);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("prepare: " + e.getMessage(), e);
        }
        SparkSession.Builder builder = SparkSession.builder().appName("finetune prepare " + c.projectName);
        if (!new SparkConf().contains("spark.master")) {
            builder.master(o.master); // not under spark-submit: run on this machine
        }
        SparkSession spark = builder.getOrCreate();
        try {
            // on a cluster the driver's tokenizer folder does not exist on the workers: ship its files with the job
            boolean local = spark.sparkContext().isLocal();
            if (local && o.stagingDir == null) {
                o.stagingDir = localStaging(o.output).toString();
            }
            TokenizerEncoderFactory encoders = local
                    ? new TokenizerEncoderFactory(o.tokenizer, o.records())
                    : dev.finetune.pipeline.spark.ShippedTokenizerEncoderFactory.shipWith(
                            spark.sparkContext(), o.tokenizer, o.records());
            return new PrepareJob(spark, o, encoders, command).run();
        } finally {
            spark.stop();
        }
    }

    /**
     * In local mode Hub files are staged on this machine's disk ({@code <java.io.tmpdir>/finetune-staging/...}),
     * not beside the output: on Colab the output is on Drive, whose quota and asynchronous upload the staged
     * parquet would only burden. A rerun after a failure finds the files already staged there.
     */
    static java.nio.file.Path localStaging(String output) {
        String key = Integer.toHexString(output.replaceAll("/+$", "").hashCode());
        String name = output.replaceAll("/+$", "").replaceAll(".*/", "").replaceAll("[^A-Za-z0-9._-]", "_");
        return java.nio.file.Paths.get(System.getProperty("java.io.tmpdir"), "finetune-staging", name + "-" + key);
    }
}
