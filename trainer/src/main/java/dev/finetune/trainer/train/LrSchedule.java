package dev.finetune.trainer.train;

import java.util.Locale;

/**
 * The learning rate of each optimizer step, with transformers' semantics (optimization.py:
 * get_linear_schedule_with_warmup, get_cosine_schedule_with_warmup with num_cycles 0.5,
 * get_constant_schedule_with_warmup, get_constant_schedule). {@code step} counts optimizer steps already
 * taken, so the first step uses {@code lr(0)} — 0 when there is warm-up, exactly as the Trainer does.
 */
public final class LrSchedule {

    /** The supported {@code lr_scheduler} values. */
    public enum Kind {
        LINEAR,
        COSINE,
        CONSTANT_WITH_WARMUP,
        CONSTANT;

        /** Parses {@code linear}, {@code cosine}, {@code constant_with_warmup}, {@code constant}. */
        public static Kind parse(String name) {
            for (Kind k : values()) {
                if (k.name().toLowerCase(Locale.ROOT).equals(name)) {
                    return k;
                }
            }
            throw new IllegalArgumentException(
                    "lr_scheduler: '" + name + "' is not one of linear, cosine, constant_with_warmup, constant");
        }

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Kind kind;
    private final double baseLr;
    private final long warmupSteps;
    private final long totalSteps;

    public LrSchedule(Kind kind, double baseLr, long warmupSteps, long totalSteps) {
        if (warmupSteps < 0 || totalSteps < 1) {
            throw new IllegalArgumentException("LR schedule needs warmup_steps >= 0 and at least one step, got "
                    + "warmup_steps=" + warmupSteps + " total steps=" + totalSteps);
        }
        this.kind = kind;
        this.baseLr = baseLr;
        this.warmupSteps = warmupSteps;
        this.totalSteps = totalSteps;
    }

    /** The learning rate for the optimizer step that follows {@code step} completed steps. */
    public double lr(long step) {
        return baseLr * factor(step);
    }

    /** transformers' lr_lambda. */
    double factor(long step) {
        if (kind == Kind.CONSTANT) {
            return 1.0;
        }
        if (step < warmupSteps) {
            return (double) step / (double) Math.max(1, warmupSteps);
        }
        switch (kind) {
            case LINEAR:
                return Math.max(0.0, (double) (totalSteps - step) / (double) Math.max(1, totalSteps - warmupSteps));
            case COSINE: {
                double progress = (double) (step - warmupSteps) / (double) Math.max(1, totalSteps - warmupSteps);
                return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
            }
            default:
                return 1.0;
        }
    }

    public Kind kind() {
        return kind;
    }

    public long totalSteps() {
        return totalSteps;
    }
}
