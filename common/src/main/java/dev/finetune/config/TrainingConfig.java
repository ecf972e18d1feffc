package dev.finetune.config;

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
        return ConfigSchema.get().valuesOf(this);
    }
}
