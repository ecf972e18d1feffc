package dev.finetune.trainer.cli;

import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.pipeline.spark.PrepareOptions;
import dev.finetune.trainer.generate.GenerationOptions;
import dev.finetune.trainer.train.TrainOptions;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
        o.instructionColumn = c.instructionColumn;
        o.inputColumn = c.inputColumn;
        o.outputColumn = c.outputColumn;
        o.trainOn = c.trainOn;
        o.eosToken = c.eosToken;
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
     * The generate command's flags for the configured sampling settings.
     *
     * @param adapterDir null for the base model alone
     * @param promptIds token-id prompts ("1,2,3"); used instead of {@code prompts} when not empty
     */
    static List<String> generateArgs(RunConfig c, String modelDir, String adapterDir, List<String> prompts,
            List<String> promptIds, boolean raw, boolean printIds, boolean greedy) {
        List<String> a = new ArrayList<>(Arrays.asList("--model", modelDir,
                "--adapter", adapterDir != null ? adapterDir : "none",
                "--max-new-tokens", String.valueOf(c.maxNewTokens),
                "--temperature", String.valueOf(c.temperature),
                "--top-p", String.valueOf(c.topP),
                "--top-k", String.valueOf(c.topK),
                "--seed", String.valueOf(c.seed),
                "--device", device(c.device),
                "--compute-dtype", c.computeDtype));
        if (promptIds.isEmpty()) {
            for (String p : prompts) {
                a.add("--prompt");
                a.add(p);
            }
        } else {
            for (String p : promptIds) {
                a.add("--prompt-ids");
                a.add(p);
            }
        }
        if (raw) {
            a.add("--raw");
        }
        if (printIds) {
            a.add("--print-ids");
        }
        if (greedy || c.temperature == 0) {
            a.add("--greedy");
        }
        if (c.use4bit) { // generate on the base training used, as the notebook does
            a.add("--use-4bit");
            if (!c.doubleQuant) {
                a.add("--no-double-quant");
            }
        }
        return a;
    }

    /**
     * The trainer's options: the same names, plus where the shards are.
     *
     * @param modelDir the local folder base_model_id resolved to (the trainer reads folders only)
     */
    static TrainOptions train(RunConfig c, String modelDir) {
        TrainOptions o = new TrainOptions();
        o.projectName = c.projectName;
        o.baseSaveDir = c.baseSaveDir;
        o.baseModelId = modelDir;
        o.shardsDir = c.resolvedShardsDir();
        o.loraR = c.loraR;
        o.loraAlpha = c.loraAlpha;
        o.loraDropout = c.loraDropout;
        o.loraTargetModules = new ArrayList<>(c.loraTargetModules);
        o.useRslora = c.useRslora;
        o.batchSize = c.batchSize;
        o.gradientAccumulationSteps = c.gradientAccumulationSteps;
        o.autoMicroBatch = c.autoMicroBatch;
        o.learningRate = c.learningRate;
        o.numTrainEpochs = c.numTrainEpochs;
        o.maxSteps = c.maxSteps;
        o.warmupSteps = c.warmupSteps;
        o.lrScheduler = c.lrScheduler;
        o.weightDecay = c.weightDecay;
        o.maxGradNorm = c.maxGradNorm;
        o.seed = c.seed;
        o.loggingSteps = c.loggingSteps;
        o.saveSteps = c.saveSteps;
        o.saveTotalLimit = c.saveTotalLimit;
        o.evalSteps = c.evalSteps;
        o.resume = c.resume;
        o.device = c.device;
        o.use4bit = c.use4bit;
        o.doubleQuant = c.doubleQuant;
        o.computeDtype = c.computeDtype;
        o.attnImplementation = c.attnImplementation;
        try {
            return o.validate();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("train: " + e.getMessage(), e);
        }
    }

    /** The configured sampling settings (temperature 0 = greedy). */
    static GenerationOptions generation(RunConfig c) {
        GenerationOptions o = new GenerationOptions();
        o.maxNewTokens = c.maxNewTokens;
        o.temperature = c.temperature;
        o.greedy = c.temperature == 0;
        o.topP = c.topP;
        o.topK = c.topK;
        o.seed = c.seed;
        try {
            return o.validate();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("generation: " + e.getMessage(), e);
        }
    }

    /** auto → the first GPU when PyTorch has CUDA and the host has a GPU, else cpu; gpu → gpu0. */
    static String device(String device) {
        String d = device.toLowerCase(java.util.Locale.ROOT);
        if (d.equals("auto")) {
            return dev.finetune.trainer.device.DeviceChoice.gpuCount() > 0 ? "gpu0" : "cpu";
        }
        return d.equals("gpu") ? "gpu0" : d;
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
