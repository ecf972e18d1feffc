package dev.finetune.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The training keys of a {@link RunConfig} (its "Training" section), as an immutable value the trainer receives.
 * Built only by {@link RunConfig#training()}, so its values and defaults are RunConfig's.
 */
public final class TrainingConfig {
    public final int batchSize;
    public final int gradientAccumulationSteps;
    public final boolean autoMicroBatch;
    public final double learningRate;
    public final double numTrainEpochs;
    /** -1: as many steps as num_train_epochs gives. */
    public final int maxSteps;
    public final int warmupSteps;
    /** linear, cosine or constant. */
    public final String lrScheduler;
    public final double weightDecay;
    /** 0 turns clipping off. */
    public final double maxGradNorm;
    public final int loggingSteps;
    public final int saveSteps;
    /** 0 keeps all. */
    public final int saveTotalLimit;
    /** 0: no evaluation. */
    public final int evalSteps;
    /** auto, never or a checkpoint path. */
    public final String resume;
    public final long seed;

    TrainingConfig(RunConfig c) {
        batchSize = c.batchSize;
        gradientAccumulationSteps = c.gradientAccumulationSteps;
        autoMicroBatch = c.autoMicroBatch;
        learningRate = c.learningRate;
        numTrainEpochs = c.numTrainEpochs;
        maxSteps = c.maxSteps;
        warmupSteps = c.warmupSteps;
        lrScheduler = c.lrScheduler;
        weightDecay = c.weightDecay;
        maxGradNorm = c.maxGradNorm;
        loggingSteps = c.loggingSteps;
        saveSteps = c.saveSteps;
        saveTotalLimit = c.saveTotalLimit;
        evalSteps = c.evalSteps;
        resume = c.resume;
        seed = c.seed;
    }

    /** The values under their configuration keys. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("batch_size", batchSize);
        m.put("gradient_accumulation_steps", gradientAccumulationSteps);
        m.put("auto_micro_batch", autoMicroBatch);
        m.put("learning_rate", learningRate);
        m.put("num_train_epochs", numTrainEpochs);
        m.put("max_steps", maxSteps);
        m.put("warmup_steps", warmupSteps);
        m.put("lr_scheduler", lrScheduler);
        m.put("weight_decay", weightDecay);
        m.put("max_grad_norm", maxGradNorm);
        m.put("seed", seed);
        m.put("logging_steps", loggingSteps);
        m.put("save_steps", saveSteps);
        m.put("save_total_limit", saveTotalLimit);
        m.put("eval_steps", evalSteps);
        m.put("resume", resume);
        return m;
    }
}
