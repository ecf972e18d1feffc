package dev.finetune.trainer.cli;

import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.pipeline.spark.PrepareOptions;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.regex.Pattern;

/**
 * The one place where the user's {@link RunConfig} becomes each subcommand's own options. Each subcommand
 * package keeps its options class in its own terms (PrepareOptions' {@code source}, {@code overflow}, ...);
 * the names users see are RunConfig's, mapped here.
 */
final class OptionsMapping {
    private static final Pattern HUB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*");

    private OptionsMapping() {}

    /**
     * @param tokenizerDir local folder with the base model's tokenizer.json and tokenizer_config.json
     * @param overwrite replace a complete output
     */
    static PrepareOptions prepare(RunConfig c, String tokenizerDir, boolean overwrite) {
        if (c.instructionColumn != null) {
            throw new ConfigException("instruction_column/input_column/output_column are not read by prepare in "
                    + "this build; map the data to messages_column or prompt_column/completion_column");
        }
        PrepareOptions o = new PrepareOptions();
        o.source = datasetSource(c.datasetId);
        o.config = c.datasetConfig;
        o.split = c.datasetSplit;
        o.revision = c.datasetRevision != null ? c.datasetRevision : "main";
        o.validationSplit = c.validationSplit;
        o.holdoutFraction = c.holdoutFraction;
        o.holdoutSeed = c.seed;
        o.output = c.resolvedShardsDir();
        o.tokenizer = tokenizerDir;
        boolean chat = c.hasConversationColumns();
        o.textColumn = chat ? null : c.textColumn;
        o.messagesColumn = c.messagesColumn;
        o.promptColumn = c.promptColumn;
        o.completionColumn = c.completionColumn;
        o.trainOn = c.trainOn;
        o.maxSeqLength = c.maxSeqLength;
        o.packing = c.packing;
        o.longDocuments = c.longDocuments;
        o.overwrite = overwrite;
        o.master = c.sparkMaster;
        try {
            return o.validate();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("prepare: " + e.getMessage(), e);
        }
    }

    /**
     * A dataset as the user wrote it → prepare's source: {@code org/name} that is not an existing path is a Hub
     * dataset; URLs and existing paths are files.
     */
    static String datasetSource(String datasetId) {
        if (datasetId == null) {
            return null;
        }
        if (datasetId.startsWith("hf://") || datasetId.contains("://") || datasetId.startsWith("/")
                || datasetId.startsWith(".") || datasetId.contains(",") || datasetId.contains("*")) {
            return datasetId;
        }
        if (HUB_ID.matcher(datasetId).matches() && !Files.exists(Paths.get(datasetId))) {
            return "hf://datasets/" + datasetId;
        }
        return datasetId;
    }
}
