package dev.finetune.trainer.train;

import dev.finetune.config.BaseModelConfig;
import dev.finetune.config.LoraConfig;
import dev.finetune.config.RunConfig;
import dev.finetune.config.TrainingConfig;
import dev.finetune.trainer.model.Projection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one training run is given: the {@link RunConfig} sections it reads (training, LoRA, base model), the device,
 * and where things are. Immutable; it declares no defaults of its own (those are RunConfig's), so what the CLI
 * prints as the configuration is what the trainer uses.
 */
public final class TrainOptions {
    /** AdamW's betas and epsilon: transformers' TrainingArguments defaults, not configurable. */
    public static final double ADAM_BETA1 = 0.9;

    public static final double ADAM_BETA2 = 0.999;
    public static final double ADAM_EPSILON = 1e-8;

    /** Folder name under base_save_dir for this run's checkpoints/ and final/. */
    public final String projectName;
    /** Output root: a local path, a mounted Drive path or gs://bucket/prefix. */
    public final String baseSaveDir;
    /** The base model folder (config.json, *.safetensors, tokenizer files). */
    public final String baseModelId;
    /** The folder `prepare` wrote (manifest.json, train/, validation/). */
    public final String shardsDir;

    public final TrainingConfig training;
    public final LoraConfig lora;
    /** How the base is loaded (use_4bit, double_quant, compute_dtype, attn_implementation). */
    public final BaseModelConfig model;
    /** cpu, gpu, gpuN or auto. */
    public final String device;
    /** Cap on validation rows per evaluation; 0 = all (not a configuration key). */
    public final long evalMaxRows;

    private TrainOptions(
            String projectName,
            String baseSaveDir,
            String baseModelId,
            String shardsDir,
            TrainingConfig training,
            LoraConfig lora,
            BaseModelConfig model,
            String device,
            long evalMaxRows) {
        this.projectName = projectName;
        this.baseSaveDir = baseSaveDir;
        this.baseModelId = baseModelId;
        this.shardsDir = shardsDir;
        this.training = training;
        this.lora = lora;
        this.model = model;
        this.device = device;
        this.evalMaxRows = evalMaxRows;
    }

    /**
     * The options of training with {@code c}, which is validated here.
     *
     * @param modelDir the local folder base_model_id resolved to (the trainer reads folders only)
     * @param shardsDir the shards to train on (usually {@code c.resolvedShardsDir()})
     * @throws dev.finetune.config.ConfigException naming the key, the value and the allowed range
     */
    public static TrainOptions of(RunConfig c, String modelDir, String shardsDir) {
        c.validate();
        if (modelDir == null || modelDir.isEmpty()) {
            throw new dev.finetune.config.ConfigException("train needs base_model_id (--base-model-id): set it in "
                    + "the config file or on the command line");
        }
        return new TrainOptions(
                c.projectName, c.baseSaveDir, modelDir, shardsDir, c.training(), c.lora(), c.baseModel(), c.device, 0);
    }

    /** These options with at most {@code rows} validation rows per evaluation (0 = all). */
    public TrainOptions withEvalMaxRows(long rows) {
        return new TrainOptions(projectName, baseSaveDir, baseModelId, shardsDir, training, lora, model, device, rows);
    }

    /**
     * The options as snake_case keys (saved in each checkpoint and the model card): the configuration keys the
     * trainer reads, with base_model_id and shards_dir as resolved, plus AdamW's fixed constants.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("project_name", projectName);
        m.put("base_save_dir", baseSaveDir);
        m.put("base_model_id", baseModelId);
        m.put("shards_dir", shardsDir);
        m.putAll(lora.toMap());
        m.putAll(training.toMap());
        m.put("adam_beta1", ADAM_BETA1);
        m.put("adam_beta2", ADAM_BETA2);
        m.put("adam_epsilon", ADAM_EPSILON);
        m.put("eval_max_rows", evalMaxRows);
        m.put("device", device);
        Map<String, Object> base = model.toMap();
        base.remove("base_model_id");
        base.remove("model_revision");
        m.putAll(base);
        return m;
    }

    /**
     * The target modules with "all-linear" spelled out as the seven projections: peft resolves it the same way
     * while injecting and saves the resolved list in adapter_config.json.
     */
    public List<String> resolvedTargetModules() {
        if (lora.loraTargetModules.contains("all-linear")) {
            return new ArrayList<>(Projection.names());
        }
        return new ArrayList<>(lora.loraTargetModules);
    }
}
