package dev.finetune.pipeline.spark;

import dev.finetune.config.PrepareConfig;
import dev.finetune.config.RunConfig;
import dev.finetune.pipeline.ingest.FileFormat;
import dev.finetune.pipeline.ingest.SourceSpec;
import dev.finetune.pipeline.packing.Overflow;
import dev.finetune.pipeline.records.RecordOptions;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one {@code prepare} job is given, shipped to Spark's executors: the configuration's {@link PrepareConfig}
 * in the job's own terms ({@code source}, {@code split}, {@code output}, ...; see {@link #of}) plus the job's
 * internals (file format, window size, staging folder). A setting that is a configuration key starts at
 * RunConfig's default; only the internals have defaults here.
 */
public final class PrepareOptions implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final PrepareConfig DEFAULTS = RunConfig.defaults().prepare();

    /** Required. {@code hf://datasets/<org>/<name>} or comma-separated paths (local, Drive, gs://, hdfs://). */
    public String source;
    /** Hub dataset config (subset); null = the default one. */
    public String config;
    /** Hub split used for training. */
    public String split = DEFAULTS.datasetSplit;
    /** Hub revision (branch, tag or commit). */
    public String revision = DEFAULTS.datasetRevision;
    /** Hub split used for validation, e.g. "validation" or "test"; null = none (or the holdout). */
    public String validationSplit;
    /** Paths of a separate validation set (like {@link #source}); null = none. */
    public String validationSource;
    /** Fraction of documents held out for validation when there is no validation split; 0 = none. */
    public double holdoutFraction = DEFAULTS.holdoutFraction;
    /** Seed of the holdout pattern. */
    public long holdoutSeed = DEFAULTS.seed;
    /** Required. The output directory (local, Drive, gs://, hdfs://). */
    public String output;
    /** Required. Local directory holding tokenizer.json and tokenizer_config.json. */
    public String tokenizer;
    /** File format: auto (by extension), parquet, jsonl or json. */
    public String format = "auto";
    /** Column of plain-text records; ignored when a conversation column is set. */
    public String textColumn = DEFAULTS.textColumn;
    /** Column of conversations (a list of {role, content}). */
    public String messagesColumn;
    /** Prompt/completion columns (a user and an assistant turn); both or neither. */
    public String promptColumn;

    public String completionColumn;
    /** Alpaca-style instruction/input/output columns; instruction and output, input optional. */
    public String instructionColumn;

    public String inputColumn;
    public String outputColumn;
    /** Conversations: train on the "assistant" turns (default) or on "all" tokens. */
    public String trainOn = DEFAULTS.trainOn;
    /** EOS token override (plain text); null = tokenizer_config.json's eos_token. */
    public String eosToken;
    /** Tokens per row. */
    public int maxSeqLength = DEFAULTS.maxSeqLength;
    /** Several documents per row (true) or one document per padded row (false). */
    public boolean packing = DEFAULTS.packing;
    /** Documents longer than max_seq_length: split or truncate. */
    public String longDocuments = DEFAULTS.longDocuments;
    /** Documents per packing window; one window becomes one shard. Bounds executor memory. */
    public int windowDocuments = 20_000;
    /** Replace a complete output instead of leaving it alone. */
    public boolean overwrite = false;
    /** Where Hub files are staged for Spark to read; null = {@code <output>._staging}. */
    public String stagingDir;
    /** Spark master when not launched by spark-submit (e.g. local[*]). */
    public String master;

    /**
     * The job for the configured dataset.
     *
     * @param master Spark master when not under spark-submit (spark_master)
     * @param tokenizer local folder with the base model's tokenizer.json and tokenizer_config.json
     * @param overwrite replace a complete output
     */
    public static PrepareOptions of(PrepareConfig p, String master, String tokenizer, boolean overwrite) {
        PrepareOptions o = new PrepareOptions();
        o.source = p.datasetSource();
        o.config = p.datasetConfig;
        o.split = p.datasetSplit;
        o.revision = p.datasetRevision != null ? p.datasetRevision : DEFAULTS.datasetRevision;
        o.validationSplit = p.validationSplit;
        o.holdoutFraction = p.holdoutFraction;
        o.holdoutSeed = p.seed;
        o.output = p.shardsDir;
        o.tokenizer = tokenizer;
        o.textColumn = p.hasConversationColumns() ? null : p.textColumn;
        o.messagesColumn = p.messagesColumn;
        o.promptColumn = p.promptColumn;
        o.completionColumn = p.completionColumn;
        o.instructionColumn = p.instructionColumn;
        o.inputColumn = p.inputColumn;
        o.outputColumn = p.outputColumn;
        o.trainOn = p.trainOn;
        o.eosToken = p.eosToken;
        o.maxSeqLength = p.maxSeqLength;
        o.packing = p.packing;
        o.longDocuments = p.longDocuments;
        o.overwrite = overwrite;
        o.master = master;
        return o.validate();
    }

    /** Throws IllegalArgumentException naming the first bad option, its value and what is allowed. */
    public PrepareOptions validate() {
        require(source, "source", "hf://datasets/<org>/<name> or a path to parquet/jsonl/json files");
        SourceSpec.parse(source);
        require(output, "output", "the directory to write shards to");
        require(tokenizer, "tokenizer", "a local directory with tokenizer.json");
        if (!"auto".equalsIgnoreCase(format)) {
            FileFormat.parse(format);
        }
        Overflow.parse(longDocuments);
        if (maxSeqLength < 2 || maxSeqLength > 1 << 20) {
            throw new IllegalArgumentException("max_seq_length: " + maxSeqLength + ", must be in [2, 1048576]");
        }
        if (windowDocuments < 1) {
            throw new IllegalArgumentException("window_documents: " + windowDocuments + ", must be >= 1");
        }
        if (!(holdoutFraction >= 0 && holdoutFraction < 1)) {
            throw new IllegalArgumentException("holdout_fraction: " + holdoutFraction + ", must be in [0, 1)");
        }
        int validations =
                (validationSplit != null ? 1 : 0) + (validationSource != null ? 1 : 0) + (holdoutFraction > 0 ? 1 : 0);
        if (validations > 1) {
            throw new IllegalArgumentException(
                    "validation: give at most one of validation_split, " + "validation_source and holdout_fraction");
        }
        if (!"assistant".equals(trainOn) && !"all".equals(trainOn)) {
            throw new IllegalArgumentException("train_on: \"" + trainOn + "\" is not one of assistant, all");
        }
        records();
        return this;
    }

    private static void require(String value, String name, String what) {
        if (value == null || value.trim().isEmpty()) {
            throw new IllegalArgumentException(name + ": missing; give " + what);
        }
    }

    /** The record layout: conversation columns when any is set, else the text column. */
    public RecordOptions records() {
        RecordOptions r = new RecordOptions();
        boolean chat = messagesColumn != null
                || promptColumn != null
                || completionColumn != null
                || instructionColumn != null
                || inputColumn != null
                || outputColumn != null;
        r.textColumn = chat ? null : textColumn;
        r.messagesColumn = messagesColumn;
        r.promptColumn = promptColumn;
        r.completionColumn = completionColumn;
        r.instructionColumn = instructionColumn;
        r.inputColumn = inputColumn;
        r.outputColumn = outputColumn;
        r.trainOn = "all".equals(trainOn) ? RecordOptions.TrainOn.ALL : RecordOptions.TrainOn.ASSISTANT;
        r.eosToken = eosToken;
        return r.validate();
    }

    public FileFormat fileFormat() {
        return "auto".equalsIgnoreCase(format) ? null : FileFormat.parse(format);
    }

    /** The resolved options as written to manifest.json ({@code config}), snake_case keys. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", source);
        m.put("config", config);
        m.put("split", split);
        m.put("revision", revision);
        m.put("validation_split", validationSplit);
        m.put("validation_source", validationSource);
        m.put("holdout_fraction", holdoutFraction);
        m.put("holdout_seed", holdoutSeed);
        m.put("output", output);
        m.put("tokenizer", tokenizer);
        m.put("format", format);
        m.put("text_column", textColumn);
        m.put("messages_column", messagesColumn);
        m.put("prompt_column", promptColumn);
        m.put("completion_column", completionColumn);
        m.put("instruction_column", instructionColumn);
        m.put("input_column", inputColumn);
        m.put("output_column", outputColumn);
        m.put("train_on", trainOn);
        m.put("eos_token", eosToken);
        m.put("max_seq_length", maxSeqLength);
        m.put("packing", packing);
        m.put("long_documents", longDocuments);
        m.put("window_documents", windowDocuments);
        return m;
    }
}
