package dev.finetune.trainer.train;

import dev.finetune.config.RunConfig;
import java.nio.file.Path;

/**
 * The one builder of training options for the toy model (in-memory rows, no model folder): a {@link RunConfig}
 * starting at the configuration's defaults with the small settings every toy run shares; a test sets what its law
 * needs on the returned config, then calls {@link #options}.
 */
final class ToyRuns {
    private ToyRuns() {}

    static RunConfig config(String project, Path baseSaveDir, long maxSteps) {
        RunConfig c = new RunConfig();
        c.projectName = project;
        c.baseSaveDir = baseSaveDir.toString();
        c.batchSize = 2;
        c.gradientAccumulationSteps = 2;
        c.learningRate = 0.05;
        c.warmupSteps = 2;
        c.maxSteps = (int) maxSteps;
        c.seed = 11;
        return c;
    }

    static TrainOptions options(RunConfig c) {
        return TrainOptions.of(c, "toy", "in-memory");
    }
}
