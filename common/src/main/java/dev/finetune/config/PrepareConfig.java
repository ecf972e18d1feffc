package dev.finetune.config;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The dataset and packing keys of a {@link RunConfig} (its "Dataset and packing" section, plus where the shards
 * go), as an immutable value {@code prepare} receives. Built only by {@link RunConfig#prepare()}, so its values and
 * defaults are RunConfig's.
 */
public final class PrepareConfig {
    private static final Pattern HUB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*");

    /** The dataset as the user wrote it; {@link #datasetSource()} is what prepare reads. */
    public final String datasetId;

    public final String datasetConfig;
    public final String datasetSplit;
    public final String datasetRevision;
    public final String validationSplit;
    public final double holdoutFraction;
    public final String textColumn;
    public final String messagesColumn;
    public final String promptColumn;
    public final String completionColumn;
    public final String instructionColumn;
    public final String inputColumn;
    public final String outputColumn;
    /** assistant or all. */
    public final String trainOn;

    public final String eosToken;
    public final int maxSeqLength;
    public final boolean packing;
    /** split or truncate. */
    public final String longDocuments;
    /** The seed of the holdout pattern (the run's seed). */
    public final long seed;
    /** Where the shards go: shards_dir, or {@code <base_save_dir>/<project_name>/data}. */
    public final String shardsDir;

    private final boolean conversations;

    PrepareConfig(RunConfig c) {
        datasetId = c.datasetId;
        datasetConfig = c.datasetConfig;
        datasetSplit = c.datasetSplit;
        datasetRevision = c.datasetRevision;
        validationSplit = c.validationSplit;
        holdoutFraction = c.holdoutFraction;
        textColumn = c.textColumn;
        messagesColumn = c.messagesColumn;
        promptColumn = c.promptColumn;
        completionColumn = c.completionColumn;
        instructionColumn = c.instructionColumn;
        inputColumn = c.inputColumn;
        outputColumn = c.outputColumn;
        trainOn = c.trainOn;
        eosToken = c.eosToken;
        maxSeqLength = c.maxSeqLength;
        packing = c.packing;
        longDocuments = c.longDocuments;
        seed = c.seed;
        shardsDir = c.resolvedShardsDir();
        conversations = c.hasConversationColumns();
    }

    /** Whether the dataset is conversations (a conversation column is set) rather than plain text. */
    public boolean hasConversationColumns() {
        return conversations;
    }

    /**
     * The dataset as prepare reads it: {@code org/name} that is not an existing path is a Hub dataset
     * ({@code hf://datasets/org/name}); URLs and existing paths are files. Null when no dataset is set.
     */
    public String datasetSource() {
        if (datasetId == null) {
            return null;
        }
        if (datasetId.startsWith("hf://")
                || datasetId.contains("://")
                || datasetId.startsWith("/")
                || datasetId.startsWith(".")
                || datasetId.contains(",")
                || datasetId.contains("*")) {
            return datasetId;
        }
        if (HUB_ID.matcher(datasetId).matches() && !Files.exists(Paths.get(datasetId))) {
            return "hf://datasets/" + datasetId;
        }
        return datasetId;
    }

    /** The values under their configuration keys (shards_dir resolved). */
    public Map<String, Object> toMap() {
        return ConfigSchema.get().valuesOf(this);
    }
}
