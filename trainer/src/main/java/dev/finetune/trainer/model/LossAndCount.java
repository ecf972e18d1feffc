package dev.finetune.trainer.model;

/** Sum of token cross-entropies (nats, unscaled) over a micro-batch's targets, and the number of targets. */
public final class LossAndCount {
    public final double lossSum;
    public final long count;

    public LossAndCount(double lossSum, long count) {
        this.lossSum = lossSum;
        this.count = count;
    }

    /** Mean over the targets (NaN when there are none). */
    public double mean() {
        return lossSum / count;
    }

    @Override
    public String toString() {
        return "loss_sum=" + lossSum + " targets=" + count;
    }
}
