package dev.finetune.trainer.train;

/**
 * Dynamic loss scaling for FP16 compute, with torch.amp.GradScaler's defaults: start at 2^16, halve on a
 * step whose gradients hold Inf/NaN (the step is skipped), double after 2000 consecutive good steps.
 * With FP32 compute the scale stays 1 and nothing is ever skipped for overflow.
 */
public final class LossScaler {

    private final boolean dynamic;
    private final double growthFactor;
    private final double backoffFactor;
    private final int growthInterval;
    private double scale;
    private int goodSteps;
    private long skipped;

    private LossScaler(
            boolean dynamic, double initScale, double growthFactor, double backoffFactor, int growthInterval) {
        this.dynamic = dynamic;
        this.scale = initScale;
        this.growthFactor = growthFactor;
        this.backoffFactor = backoffFactor;
        this.growthInterval = growthInterval;
    }

    /** GradScaler's defaults: 65536, ×2 every 2000 good steps, ×0.5 on overflow. */
    public static LossScaler dynamic() {
        return new LossScaler(true, 65536.0, 2.0, 0.5, 2000);
    }

    /** A custom dynamic scaler (tests use short intervals). */
    public static LossScaler dynamic(double initScale, double growthFactor, double backoffFactor, int growthInterval) {
        if (!(initScale > 0)
                || !(growthFactor > 1)
                || !(backoffFactor > 0 && backoffFactor < 1)
                || growthInterval < 1) {
            throw new IllegalArgumentException("loss scaler needs init > 0, growth > 1, 0 < backoff < 1, "
                    + "interval >= 1; got " + initScale + ", " + growthFactor + ", " + backoffFactor + ", "
                    + growthInterval);
        }
        return new LossScaler(true, initScale, growthFactor, backoffFactor, growthInterval);
    }

    /** Scale 1, never changes (FP32 compute). */
    public static LossScaler none() {
        return new LossScaler(false, 1.0, 2.0, 0.5, Integer.MAX_VALUE);
    }

    /** The factor the loss is multiplied by before backward. */
    public double scale() {
        return scale;
    }

    /**
     * Records the outcome of a step's gradient check and returns whether the optimizer may step.
     * {@code gradientsFinite == false} backs the scale off and counts a skipped step.
     */
    public boolean update(boolean gradientsFinite) {
        if (!gradientsFinite) {
            skipped++;
            goodSteps = 0;
            if (dynamic) {
                scale *= backoffFactor;
            }
            return false;
        }
        if (dynamic && ++goodSteps >= growthInterval) {
            scale *= growthFactor;
            goodSteps = 0;
        }
        return true;
    }

    /** Steps skipped so far because of non-finite gradients. */
    public long skippedSteps() {
        return skipped;
    }

    public boolean isDynamic() {
        return dynamic;
    }

    /** For checkpoints: the good-step counter since the last change of scale. */
    public int goodSteps() {
        return goodSteps;
    }

    /** Restores what a checkpoint saved. */
    public void restore(double savedScale, int savedGoodSteps, long savedSkipped) {
        this.scale = savedScale;
        this.goodSteps = savedGoodSteps;
        this.skipped = savedSkipped;
    }
}
