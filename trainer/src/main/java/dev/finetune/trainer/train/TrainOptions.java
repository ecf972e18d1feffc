package dev.finetune.trainer.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every knob of a training run, snake_case as in conf/ files and the README's configuration reference (flags are the kebab-case
 * forms). Defaults are the seed notebook's parameter cell where it has one, transformers' TrainingArguments
 * otherwise. {@link #validate()} names the option, the value and the allowed range.
 */
public final class TrainOptions {

    // ---- where things are
    /** Folder name under base_save_dir for this run's checkpoints/ and final/. */
    public String projectName = "finetune-run";
    /** Output root: a local path, a mounted Drive path or gs://bucket/prefix. */
    public String baseSaveDir = "output";
    /** The base model folder (config.json, *.safetensors, tokenizer files) or a Hub id resolved before training. */
    public String baseModelId;
    /** The folder `prepare` wrote (manifest.json, train/, validation/); default {@code <output>/<project>/data}. */
    public String shardsDir;

    // ---- LoRA (seed notebook values)
    public int loraR = 64;
    public double loraAlpha = 16;
    public double loraDropout = 0.05;
    /** Module names (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj) or "all-linear". */
    public List<String> loraTargetModules = new ArrayList<>(Arrays.asList("q_proj", "v_proj"));
    /** scaling alpha/sqrt(r) instead of alpha/r. */
    public boolean useRslora = false;

    // ---- optimisation
    /** Rows per micro-batch per device. */
    public int batchSize = 1;
    public int gradientAccumulationSteps = 16;
    /** Rows per micro-batch chosen to fit the device, rows per step kept ({@link MicroBatchSplit}). */
    public boolean autoMicroBatch = false;
    public double learningRate = 2e-4;
    public double numTrainEpochs = 2;
    /** Optimizer steps to stop after; -1 = as many as num_train_epochs gives. Also sets the schedule length. */
    public long maxSteps = -1;
    public long warmupSteps = 100;
    /** linear, cosine, constant_with_warmup, constant (transformers' names and formulas). */
    public String lrScheduler = "linear";
    public double weightDecay = 0.0;
    public double adamBeta1 = 0.9;
    public double adamBeta2 = 0.999;
    public double adamEpsilon = 1e-8;
    /** Global-norm clipping threshold; 0 disables. */
    public double maxGradNorm = 1.0;
    public long seed = 42;

    // ---- logging, evaluation, checkpoints
    public int loggingSteps = 10;
    public int saveSteps = 500;
    /** Checkpoints kept (oldest deleted first); 0 keeps all. */
    public int saveTotalLimit = 3;
    /** Evaluate on the validation split every N optimizer steps; 0 = never. */
    public int evalSteps = 0;
    /** Cap on validation rows per evaluation; 0 = all. */
    public long evalMaxRows = 0;
    /** auto (resume from the latest complete checkpoint if any), never, or a checkpoint folder. */
    public String resume = "auto";

    // ---- numerics and device
    /** cpu, gpu, gpu0, gpu1, ... or auto (first GPU when there is one). */
    public String device = "auto";
    /** NF4 base weights (GPU default); FP16 (GPU) / FP32 (CPU) otherwise. */
    @JsonProperty("use_4bit")
    public boolean use4bit = true;
    /** Double quantization of the NF4 absmax (bitsandbytes' bnb_4bit_use_double_quant). */
    public boolean doubleQuant = true;
    /** fp16 or fp32 compute; auto = fp16 on GPU, fp32 on CPU. */
    public String computeDtype = "auto";
    /** sdpa (torch's fused attention through TorchScript) or eager (DJL ops). */
    public String attnImplementation = "sdpa";

    private static final ObjectMapper MAPPER = JsonMapper.builder()
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
        .visibility(com.fasterxml.jackson.annotation.PropertyAccessor.FIELD,
            com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility.PUBLIC_ONLY)
        .build();

    /** Options from snake_case keys (a parsed conf/ file plus overrides); unknown keys are errors. */
    public static TrainOptions fromMap(Map<String, ?> values) {
        try {
            return MAPPER.convertValue(values, TrainOptions.class);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("training options: " + rootMessage(e), e);
        }
    }

    /** The options as snake_case keys (saved in each checkpoint and the model card). */
    @SuppressWarnings("unchecked")
    public Map<String, Object> toMap() {
        return MAPPER.convertValue(this, Map.class);
    }

    /** Checks every option; the message names the option, the value and what is allowed. */
    public TrainOptions validate() {
        require(baseModelId != null && !baseModelId.isEmpty(), "base_model_id", baseModelId, "a model folder");
        require(shardsDir != null && !shardsDir.isEmpty(), "shards_dir", shardsDir, "the folder `prepare` wrote");
        require(projectName != null && projectName.matches("[A-Za-z0-9._-]+"), "project_name", projectName,
            "letters, digits, '.', '_' and '-'");
        require(loraR >= 1 && loraR <= 4096, "lora_r", loraR, "1..4096");
        require(loraAlpha > 0, "lora_alpha", loraAlpha, "> 0");
        require(loraDropout >= 0 && loraDropout < 1, "lora_dropout", loraDropout, "[0, 1)");
        loraTargetModules = splitCommas(loraTargetModules);
        require(loraTargetModules != null && !loraTargetModules.isEmpty(), "lora_target_modules",
            loraTargetModules, "a non-empty list of projections or \"all-linear\"");
        require(batchSize >= 1, "batch_size", batchSize, ">= 1");
        require(gradientAccumulationSteps >= 1, "gradient_accumulation_steps", gradientAccumulationSteps, ">= 1");
        require(learningRate > 0 && learningRate < 1, "learning_rate", learningRate, "(0, 1)");
        require(numTrainEpochs > 0 || maxSteps > 0, "num_train_epochs", numTrainEpochs, "> 0 (or set max_steps)");
        require(maxSteps == -1 || maxSteps >= 1, "max_steps", maxSteps, "-1 (no limit) or >= 1");
        require(warmupSteps >= 0, "warmup_steps", warmupSteps, ">= 0");
        LrSchedule.Kind.parse(lrScheduler);
        require(weightDecay >= 0, "weight_decay", weightDecay, ">= 0");
        require(adamBeta1 >= 0 && adamBeta1 < 1, "adam_beta1", adamBeta1, "[0, 1)");
        require(adamBeta2 >= 0 && adamBeta2 < 1, "adam_beta2", adamBeta2, "[0, 1)");
        require(adamEpsilon > 0, "adam_epsilon", adamEpsilon, "> 0");
        require(maxGradNorm >= 0, "max_grad_norm", maxGradNorm, ">= 0 (0 disables clipping)");
        require(loggingSteps >= 1, "logging_steps", loggingSteps, ">= 1");
        require(saveSteps >= 1, "save_steps", saveSteps, ">= 1");
        require(saveTotalLimit >= 0, "save_total_limit", saveTotalLimit, ">= 0 (0 keeps all)");
        require(evalSteps >= 0, "eval_steps", evalSteps, ">= 0 (0 = no evaluation)");
        require(evalMaxRows >= 0, "eval_max_rows", evalMaxRows, ">= 0 (0 = all)");
        require(device.matches("auto|cpu|gpu|gpu\\d+"), "device", device, "auto, cpu, gpu or gpuN");
        String dt = computeDtype.toLowerCase(Locale.ROOT);
        require(dt.equals("auto") || dt.equals("fp16") || dt.equals("fp32"), "compute_dtype", computeDtype,
            "auto, fp16 or fp32 (bf16 crashes DJL 0.36's JNI)");
        String attn = attnImplementation.toLowerCase(Locale.ROOT);
        require(attn.equals("sdpa") || attn.equals("eager"), "attn_implementation", attnImplementation,
            "sdpa or eager");
        return this;
    }

    private static void require(boolean ok, String option, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException(option + " = " + value + " is not allowed; expected " + allowed);
        }
    }

    /**
     * The target modules with "all-linear" spelled out as the seven projections: peft resolves it the same way
     * while injecting and saves the resolved list in adapter_config.json.
     */
    public List<String> resolvedTargetModules() {
        List<String> modules = splitCommas(loraTargetModules);
        if (modules.contains("all-linear")) {
            return new ArrayList<>(dev.finetune.trainer.lora.PeftKeys.PROJECTIONS);
        }
        return modules;
    }

    /** "q_proj,v_proj" from a flag becomes two entries. */
    private static List<String> splitCommas(List<String> modules) {
        if (modules == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (String m : modules) {
            for (String part : m.split(",")) {
                if (!part.trim().isEmpty()) {
                    out.add(part.trim());
                }
            }
        }
        return out;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        int cut = m == null ? -1 : m.indexOf(" (class ");
        return cut > 0 ? m.substring(0, cut) : m;
    }
}
