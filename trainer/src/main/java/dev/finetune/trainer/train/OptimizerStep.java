package dev.finetune.trainer.train;

import ai.djl.ndarray.NDArray;
import dev.finetune.trainer.model.PhaseObserver;
import dev.finetune.trainer.tensor.DeviceCache;
import dev.finetune.trainer.tensor.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongToDoubleFunction;

/**
 * One optimizer step over a step's micro-batches, in the order docs/data-contract.md gives: agree on the loss divisor (targets of
 * every micro-batch on every rank), forward/backward each micro-batch with the loss scale, all-reduce the
 * gradients and loss, unscale, check for Inf/NaN (then skip: the scaler backs off, the weights stay as they
 * were), clip to the global norm, AdamW, zero the gradients.
 */
public final class OptimizerStep {

    private final TrainableModel model;
    private final GradientSync sync;
    private final LossScaler scaler;
    private final AdamW adamw;
    private final double maxGradNorm;
    private final List<NDArray> params;
    private MicroBatchSplit split;
    private java.util.function.Consumer<String> notices = m -> {};
    private PhaseObserver phases = PhaseObserver.NONE;

    public OptimizerStep(TrainableModel model, GradientSync sync, LossScaler scaler, AdamW adamw, double maxGradNorm) {
        this.model = model;
        this.sync = sync;
        this.scaler = scaler;
        this.adamw = adamw;
        this.maxGradNorm = maxGradNorm;
        this.params = new ArrayList<>(model.parameters().values());
    }

    /** What a step did. */
    public static final class Outcome {
        /** Σ token losses / targets of the step over all ranks (NaN/Inf when that is why it was skipped). */
        public double loss;
        /** Global gradient norm before clipping (after unscaling). */
        public double gradNorm;

        public double lr;
        public boolean stepped;
        /** Targets and real tokens of the step over all ranks. */
        public long targets;

        public long tokens;

        public String skipReason() {
            return targets == 0
                    ? "no target tokens in the step"
                    : "loss " + loss + ", gradient norm " + gradNorm + " (Inf/NaN)";
        }
    }

    /**
     * From now on, cuts each step's rows into micro-batches as {@code split} says and, on an out-of-memory error,
     * shrinks it and reruns the step's forward/backward from zeroed gradients. Null (the default) keeps the
     * micro-batches as given.
     */
    public OptimizerStep withMicroBatchSplit(MicroBatchSplit split, java.util.function.Consumer<String> notices) {
        this.split = split;
        this.notices = notices;
        return this;
    }

    /**
     * From now on, reports the all-reduce and optimizer phases of each step to {@code observer} (the model
     * reports its own phases to the observer it was given).
     */
    public OptimizerStep withPhaseObserver(PhaseObserver observer) {
        this.phases = java.util.Objects.requireNonNull(observer, "phase observer");
        return this;
    }

    /** The split in use, or null. */
    public MicroBatchSplit microBatchSplit() {
        return split;
    }

    private double forwardBackward(List<MicroBatch> batches, double divisor) {
        if (split == null) {
            return forwardBackwardAll(batches, divisor);
        }
        while (true) {
            try {
                return forwardBackwardAll(split.regroup(batches), divisor);
            } catch (RuntimeException e) {
                int tried = split.rows();
                if (!MicroBatchSplit.isOutOfMemory(e) || !split.shrink()) {
                    throw e;
                }
                zeroGradients(); // the micro-batches before the failure left their share in the gradients
                releaseDeviceMemory();
                notices.accept(String.format(
                        java.util.Locale.ROOT,
                        "out of memory with %d rows per micro-batch; now %d rows x %d micro-batches per step",
                        tried,
                        split.rows(),
                        split.microBatches()));
            }
        }
    }

    private double forwardBackwardAll(List<MicroBatch> batches, double divisor) {
        double lossSum = 0;
        for (MicroBatch b : batches) {
            if (b.targetCount() > 0) {
                lossSum += model.forwardBackward(b, scaler.scale(), divisor);
            }
        }
        return lossSum;
    }

    private void zeroGradients() {
        for (NDArray p : params) {
            NDArray g;
            try {
                g = p.getGradient();
            } catch (RuntimeException noGradientYet) {
                continue;
            }
            if (g != null) {
                Ops.zero(g);
                g.close();
            }
        }
    }

    private void releaseDeviceMemory() {
        if (!params.isEmpty()) {
            DeviceCache.release(params.get(0).getDevice()); // hand the failed attempt's cached blocks back
        }
    }

    /** AdamW updates made so far. */
    public long updates() {
        return adamw.stepCount();
    }

    /** Runs the step; {@code lrOf} maps AdamW's completed update count to this update's learning rate. */
    public Outcome run(List<MicroBatch> batches, LongToDoubleFunction lrOf) {
        long localTargets = 0;
        long localTokens = 0;
        for (MicroBatch b : batches) {
            localTargets += b.targetCount();
            localTokens += b.realTokens();
        }
        double[] counts = sync.allReduceSum(new double[] {localTargets, localTokens});
        Outcome o = new Outcome();
        o.targets = (long) counts[0];
        o.tokens = (long) counts[1];
        double divisor = counts[0];
        double lossSum = divisor > 0 ? forwardBackward(batches, divisor) : 0;
        List<NDArray> grads = new ArrayList<>(params.size());
        for (NDArray p : params) {
            grads.add(p.getGradient());
        }
        try {
            PhaseObserver.Span reduce = phases.begin(PhaseObserver.Phase.ALL_REDUCE);
            sync.allReduceSum(grads);
            o.loss = sync.allReduceSum(new double[] {lossSum})[0] / divisor;
            reduce.end(grads.isEmpty() ? null : grads.get(grads.size() - 1));

            PhaseObserver.Span opt = phases.begin(PhaseObserver.Phase.OPTIMIZER);
            double unscale = 1.0 / scaler.scale();
            if (GradientClipping.isPowerOfTwo((float) unscale)) {
                // the norm of the scaled gradients, unscaled on the host: exact for a power-of-two scale, and the
                // unscaling multiply joins the clipping one below
                o.gradNorm = GradientClipping.globalNorm(grads) * unscale;
                if (!Double.isFinite(o.gradNorm)) { // the scaled squares may overflow where the unscaled do not
                    GradientClipping.scale(grads, unscale, 0, Double.NaN);
                    unscale = 1.0;
                    o.gradNorm = GradientClipping.globalNorm(grads);
                }
            } else {
                GradientClipping.scale(grads, unscale, 0, Double.NaN);
                unscale = 1.0;
                o.gradNorm = GradientClipping.globalNorm(grads);
            }
            boolean finite = divisor > 0 && Double.isFinite(o.loss) && Double.isFinite(o.gradNorm);
            o.stepped = scaler.update(finite);
            o.lr = lrOf.applyAsDouble(adamw.stepCount());
            if (o.stepped) {
                GradientClipping.scale(grads, unscale, maxGradNorm, o.gradNorm);
                adamw.step(params, grads, o.lr);
            }
            opt.end(params.isEmpty() ? null : params.get(params.size() - 1));
        } finally {
            Ops.zeroAll(grads); // assignment: a NaN gradient times 0 would stay NaN
            for (NDArray g : grads) {
                g.close();
            }
        }
        return o;
    }
}
