package dev.finetune.trainer.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune.config.ConfigException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/**
 * The training recipe, read top to bottom in {@link #run()}: resume, then per optimizer step: re-seed, read
 * the step's micro-batches, agree on the loss divisor across ranks, forward/backward each micro-batch,
 * all-reduce the gradients, unscale, check for Inf/NaN (skip and back off), clip, AdamW, zero; log, evaluate,
 * checkpoint. Rank 0 alone writes logs, checkpoints and the final adapter; every rank keeps identical state.
 */
public final class Trainer {

    private final TrainOptions o;
    private final TrainableModel model;
    private final RowSource train;
    private final RowSource validation;
    private final GradientSync sync;
    private final OutputLocation out;
    private final NDManager manager;
    private final PrintStream console;
    private final LossScaler scaler;
    private final FinalSave finalSave;
    private final List<String> keys;
    private final List<NDArray> params;

    /**
     * @param validation null when there is no validation split
     * @param fp16 FP16 compute: dynamic loss scaling on; FP32 otherwise
     * @param finalSave what goes into final/ besides the adapter (null: nothing is saved at the end)
     */
    public Trainer(
            TrainOptions options,
            TrainableModel model,
            RowSource train,
            RowSource validation,
            GradientSync sync,
            OutputLocation out,
            NDManager manager,
            boolean fp16,
            FinalSave finalSave,
            PrintStream console) {
        this.o = options;
        this.model = model;
        this.train = train;
        this.validation = validation;
        this.sync = sync;
        this.out = out;
        this.manager = manager;
        this.console = console;
        this.scaler = fp16 ? LossScaler.dynamic() : LossScaler.none();
        this.finalSave = finalSave;
        this.keys = new ArrayList<>(model.parameters().keySet());
        this.params = new ArrayList<>(model.parameters().values());
    }

    /** What a run did: its steps and losses as it computed them, and where it wrote (rank 0). */
    public static final class Result {
        /** The loss of every optimizer step this run made, in order (NaN where the step was skipped). */
        public final List<Double> losses = new ArrayList<>();

        public long firstStep;
        public long lastStep;
        public long skippedSteps;
        public Double lastEvalLoss;
        public Path finalDir;
        /** The steps this run logged (every logging_steps and the last) and their mean training loss. */
        public final List<Long> loggedSteps = new ArrayList<>();

        public final List<Double> loggedLosses = new ArrayList<>();
        /** The metrics file this run wrote (rank 0), or null. */
        public Path metricsFile;
        /** The complete checkpoints in checkpoints/ when the run ended, oldest first (rank 0; empty on others). */
        public final List<Path> checkpoints = new ArrayList<>();
    }

    /**
     * Options that change what a run computes: a checkpoint made with other values belongs to another run, and
     * resume: auto refuses it. Logging, evaluation, checkpoint cadence and the device are not among them.
     */
    static final List<String> RESULT_SETTINGS = java.util.Collections.unmodifiableList(java.util.Arrays.asList(
            "learning_rate",
            "lr_scheduler",
            "warmup_steps",
            "max_steps",
            "num_train_epochs",
            "batch_size",
            "gradient_accumulation_steps",
            "seed",
            "lora_r",
            "lora_alpha",
            "lora_dropout",
            "use_rslora",
            "lora_target_modules",
            "weight_decay",
            "adam_beta1",
            "adam_beta2",
            "adam_epsilon",
            "max_grad_norm",
            "use_4bit",
            "double_quant"));

    private Map<String, Object> sources = new LinkedHashMap<>();

    /**
     * What the run trains from besides its options, recorded in every checkpoint and compared on resume: e.g.
     * {@code data} (the shards' fingerprint), {@code max_seq_length}, {@code model} (the base's fingerprint).
     */
    public Trainer trainedFrom(Map<String, Object> sources) {
        this.sources = new LinkedHashMap<>(sources);
        return this;
    }

    /** This run's identity: the sources and {@link #RESULT_SETTINGS}, as JSON would read them back. */
    Map<String, Object> identity() {
        Map<String, Object> id = new LinkedHashMap<>(sources);
        Map<String, Object> all = o.toMap();
        for (String k : RESULT_SETTINGS) {
            id.put(k, all.get(k));
        }
        return TrainState.normalized(id);
    }

    /** resume: auto found a checkpoint of another run (other data, model or settings) and refused it. */
    public static final class OtherRunException extends ConfigException {
        private static final long serialVersionUID = 1L;
        private final List<String> differences;

        OtherRunException(Path from, List<String> differences) {
            super("resume: auto found " + from + ", trained with other settings: " + String.join(", ", differences)
                    + "; start fresh with resume: never (--resume never), or train under another project_name "
                    + "(--project-name); to continue it with these settings anyway, set resume to its path");
            this.differences = new ArrayList<>(differences);
        }

        /** What differs, as "key was -> now". */
        public List<String> differences() {
            return differences;
        }
    }

    /** Trains until max_steps / num_train_epochs, resuming first when asked or when checkpoints exist. */
    public Result run() throws IOException {
        EpochSampler sampler = new EpochSampler(
                train.rows(),
                sync.worldSize(),
                sync.rank(),
                o.training.batchSize,
                o.training.gradientAccumulationSteps,
                o.training.seed);
        long totalSteps = o.training.maxSteps > 0
                ? o.training.maxSteps
                : Math.max(1, (long) Math.ceil(o.training.numTrainEpochs * sampler.stepsPerEpoch()));
        LrSchedule schedule = new LrSchedule(
                LrSchedule.Kind.parse(o.training.lrScheduler),
                o.training.learningRate,
                o.training.warmupSteps,
                totalSteps);
        CheckpointStore checkpoints = new CheckpointStore(out.fs, out.checkpoints(), o.training.saveTotalLimit);
        boolean writer = sync.rank() == 0;
        if (writer && finalSave != null) {
            FinalSave.requireReplaceable(out);
        }
        try (AdamW adamw = new AdamW(
                manager,
                params,
                TrainOptions.ADAM_BETA1,
                TrainOptions.ADAM_BETA2,
                TrainOptions.ADAM_EPSILON,
                o.training.weightDecay)) {
            TrainState state = resume(checkpoints, adamw);
            state.totalSteps = totalSteps;
            Result result = new Result();
            result.firstStep = state.globalStep;
            if (state.globalStep > 0) {
                console.printf(
                        Locale.ROOT,
                        "resumed at step %d (epoch %d, step %d of the epoch)%n",
                        state.globalStep,
                        state.epoch,
                        state.stepInEpoch);
            }
            console.printf(
                    Locale.ROOT,
                    "training %d steps: %d rows, %d steps per epoch (%d rows left out per "
                            + "epoch), %d × %d × %d rows per step%n",
                    totalSteps,
                    train.rows(),
                    sampler.stepsPerEpoch(),
                    sampler.rowsLeftOutPerEpoch(),
                    sync.worldSize(),
                    o.training.batchSize,
                    o.training.gradientAccumulationSteps);
            ProgressBar bar = new ProgressBar(console, state.globalStep, totalSteps, System.console() != null);
            try (MetricsSink metrics = writer ? new MetricsSink(out.fs, out.logs(), state.globalStep) : null) {
                result.metricsFile = metrics == null ? null : metrics.file();
                Interval interval = new Interval();
                OptimizerStep stepper = new OptimizerStep(model, sync, scaler, adamw, o.training.maxGradNorm);
                if (o.training.autoMicroBatch) {
                    stepper.withMicroBatchSplit(
                            MicroBatchSplit.largestFirst(o.training.batchSize * o.training.gradientAccumulationSteps),
                            m -> console.println("auto_micro_batch: " + m));
                }
                while (state.globalStep < totalSteps) {
                    double loss = step(state, sampler, stepper, schedule, interval);
                    result.losses.add(loss);
                    long step = state.globalStep;
                    if (step % o.training.loggingSteps == 0 || step == totalSteps) {
                        Map<String, Object> logged = interval.flush(state, schedule, scaler);
                        result.loggedSteps.add(step);
                        result.loggedLosses.add(((Number) logged.get("loss")).doubleValue());
                        if (writer) {
                            metrics.log("train", step, logged);
                            state.logHistory.add(history(step, logged));
                        }
                        bar.update(
                                step,
                                ((Number) logged.get("loss")).doubleValue(),
                                ((Number) logged.get("learning_rate")).doubleValue(),
                                ((Number) logged.get("grad_norm")).doubleValue(),
                                ((Number) logged.get("tokens_per_s")).doubleValue());
                    }
                    if (o.training.evalSteps > 0
                            && validation != null
                            && (step % o.training.evalSteps == 0 || step == totalSteps)) {
                        result.lastEvalLoss = evaluate(step, metrics, state);
                    }
                    if (step % o.training.saveSteps == 0 && step < totalSteps) {
                        saveCheckpoint(checkpoints, state, adamw);
                    }
                }
                bar.finish();
                if (writer && metrics != null) {
                    writeLossCurve(state);
                }
            }
            result.lastStep = state.globalStep;
            result.skippedSteps = state.skippedSteps;
            if (writer) {
                result.checkpoints.addAll(checkpoints.complete());
            }
            if (state.optimizerSteps == 0) {
                throw new ConfigException("no step updated the adapter: all " + state.globalStep + " steps were "
                        + "skipped ("
                        + (train.rows() == 0 ? "no training rows" : "no trained tokens or non-finite " + "gradients")
                        + "); final/ was not written. Check the shards with `jobs/finetune inspect`");
            }
            WeightAgreement.require(params, keys, sync, "the final adapter");
            if (finalSave != null && writer) {
                requireFinite("the final adapter");
                result.finalDir = finalSave.save(model, out, o, state);
            }
            sync.barrier();
            return result;
        }
    }

    /** One optimizer step at the data cursor; advances the cursor; returns its loss (NaN when skipped). */
    private double step(
            TrainState state, EpochSampler sampler, OptimizerStep stepper, LrSchedule schedule, Interval interval)
            throws IOException {
        long started = System.nanoTime();
        Engine.getInstance().setRandomSeed(TrainState.stepSeed(o.training.seed, state.globalStep));
        model.reseedDropout(TrainState.stepSeed(o.training.seed ^ 0x5DEECE66DL, state.globalStep));
        List<MicroBatch> batches = new ArrayList<>();
        for (int micro = 0; micro < o.training.gradientAccumulationSteps; micro++) {
            batches.add(MicroBatch.read(train, sampler.microBatch(state.epoch, state.stepInEpoch, micro)));
        }
        OptimizerStep.Outcome r = stepper.run(batches, schedule::lr);
        if (!r.stepped) {
            console.printf(
                    Locale.ROOT,
                    "%nstep %d skipped: %s; loss scale now %.0f, %d steps skipped so far%n",
                    state.globalStep + 1,
                    r.skipReason(),
                    scaler.scale(),
                    scaler.skippedSteps());
        }
        state.globalStep++;
        state.stepInEpoch++;
        if (state.stepInEpoch >= sampler.stepsPerEpoch()) {
            state.epoch++;
            state.stepInEpoch = 0;
        }
        state.optimizerSteps = stepper.updates();
        state.lossScale = scaler.scale();
        state.scalerGoodSteps = scaler.goodSteps();
        state.skippedSteps = scaler.skippedSteps();
        state.tokensSeen += r.tokens;
        double loss = r.stepped ? r.loss : Double.NaN;
        interval.add(loss, r.gradNorm, r.lr, r.tokens, System.nanoTime() - started);
        return loss;
    }

    private double evaluate(long step, MetricsSink metrics, TrainState state) throws IOException {
        long rows = o.evalMaxRows > 0 ? Math.min(o.evalMaxRows, validation.rows()) : validation.rows();
        double lossSum = 0;
        double targets = 0;
        List<Long> mine = new ArrayList<>();
        for (long r = sync.rank(); r < rows; r += sync.worldSize()) {
            mine.add(r);
        }
        for (int i = 0; i < mine.size(); i += o.training.batchSize) {
            int n = Math.min(o.training.batchSize, mine.size() - i);
            long[] idx = new long[n];
            for (int k = 0; k < n; k++) {
                idx[k] = mine.get(i + k);
            }
            MicroBatch b = MicroBatch.read(validation, idx);
            targets += b.targetCount();
            if (b.targetCount() > 0) {
                lossSum += model.lossSum(b);
            }
        }
        double[] total = sync.allReduceSum(new double[] {lossSum, targets});
        double loss = total[1] > 0 ? total[0] / total[1] : Double.NaN;
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("loss", loss);
        values.put("perplexity", Math.exp(loss));
        values.put("targets", (long) total[1]);
        if (metrics != null) {
            metrics.log("eval", step, values);
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("step", step);
            h.put("eval_loss", loss);
            state.logHistory.add(h);
        }
        console.printf(
                Locale.ROOT,
                "%neval at step %d: loss %.4f, perplexity %.2f over %d targets%n",
                step,
                loss,
                Math.exp(loss),
                (long) total[1]);
        return loss;
    }

    private TrainState resume(CheckpointStore checkpoints, AdamW adamw) throws IOException {
        TrainState fresh = new TrainState();
        fresh.seed = o.training.seed;
        fresh.lrScheduler = o.training.lrScheduler;
        fresh.learningRate = o.training.learningRate;
        fresh.warmupSteps = o.training.warmupSteps;
        fresh.worldSize = sync.worldSize();
        fresh.config = o.toMap();
        fresh.trainedFrom = identity();
        if ("never".equals(o.training.resume)) {
            return fresh;
        }
        if (!"auto".equals(o.training.resume)) {
            Path from = out.fs.makeQualified(new Path(o.training.resume));
            TrainState s;
            try {
                s = load(checkpoints, from, adamw, false);
            } catch (CheckpointStore.UnverifiedCheckpointException e) {
                throw new ConfigException(e.getMessage() + "; name another checkpoint in resume, or let resume: auto "
                        + "pick the newest one that verifies");
            }
            return s;
        }
        List<Path> complete = checkpoints.complete();
        for (int i = complete.size() - 1; i >= 0; i--) {
            Path from = complete.get(i);
            try {
                return load(checkpoints, from, adamw, true);
            } catch (CheckpointStore.UnverifiedCheckpointException e) {
                if (i == 0) {
                    throw new ConfigException(e.getMessage() + "; no earlier checkpoint is left in "
                            + checkpoints.root() + ": start fresh with resume: never (--resume never)");
                }
                console.printf(
                        Locale.ROOT,
                        "WARNING %s; falling back to %s%n",
                        e.getMessage(),
                        complete.get(i - 1).getName());
            }
        }
        return fresh;
    }

    /**
     * Reads checkpoint {@code from} into the model, the optimizer and the scaler. With {@code sameRun} a
     * checkpoint trained from other data, another model or other {@link #RESULT_SETTINGS} is refused.
     *
     * @throws CheckpointStore.UnverifiedCheckpointException when its files do not verify or cannot be loaded
     */
    private TrainState load(CheckpointStore checkpoints, Path from, AdamW adamw, boolean sameRun) throws IOException {
        java.nio.file.Path local = checkpoints.fetch(from, Files.createTempDirectory("finetune-"));
        try {
            TrainState s;
            try {
                s = TrainState.fromJson(
                        Files.readAllBytes(local.resolve(TrainState.FILE)), from + "/" + TrainState.FILE);
            } catch (IOException | RuntimeException e) {
                throw new CheckpointStore.UnverifiedCheckpointException(
                        from + "/" + TrainState.FILE + " is unreadable: " + e.getMessage());
            }
            if (sameRun) {
                refuseOtherRun(s, from);
                warnIfWorldSizeChanged(s, from);
            } else {
                warnIfChanged(s, from);
            }
            try {
                CheckpointFiles.loadAdapterInto(local, model);
                OptimizerStateFile.read(local, keys, adamw);
            } catch (IOException | RuntimeException e) {
                throw new CheckpointStore.UnverifiedCheckpointException(from + " cannot be loaded: "
                        + String.valueOf(e.getMessage()).replace(local.toString(), from.toString()));
            }
            scaler.restore(s.lossScale, s.scalerGoodSteps, s.skippedSteps);
            s.config = o.toMap();
            s.trainedFrom = identity();
            return s;
        } finally {
            CheckpointFiles.deleteTree(local.getParent());
        }
    }

    /** resume: auto continues only the run that wrote the checkpoint (same data, model and settings). */
    private void refuseOtherRun(TrainState s, Path from) {
        if (s.trainedFrom == null || s.trainedFrom.isEmpty()) {
            console.printf(
                    Locale.ROOT,
                    "WARNING %s records nothing of what it was trained from (an older trainer "
                            + "wrote it); resuming without checking that it belongs to this run%n",
                    from);
            return;
        }
        List<String> differ = differences(s);
        if (!differ.isEmpty()) {
            throw new OtherRunException(from, differ);
        }
    }

    /** What differs between the checkpoint's identity and this run's, as "key was -> now" (empty: nothing). */
    private List<String> differences(TrainState s) {
        Map<String, Object> was =
                s.trainedFrom != null && !s.trainedFrom.isEmpty() ? s.trainedFrom : TrainState.normalized(s.config);
        List<String> differ = new ArrayList<>();
        for (Map.Entry<String, Object> e : identity().entrySet()) {
            Object before = was.get(e.getKey());
            if (!java.util.Objects.equals(before, e.getValue()) && (before != null || was == s.trainedFrom)) {
                if ("data".equals(e.getKey())) {
                    differ.add("data (other shards)");
                } else if ("model".equals(e.getKey())) {
                    differ.add("model (another base model)");
                } else {
                    differ.add(e.getKey() + " " + before + " -> " + e.getValue());
                }
            }
        }
        return differ;
    }

    /** An explicitly named checkpoint is used as asked; what makes the run differ from its origin is said. */
    private void warnIfChanged(TrainState s, Path from) {
        for (String d : differences(s)) {
            console.printf(
                    Locale.ROOT,
                    "WARNING resuming from %s: %s; so this run will not equal an uninterrupted " + "one%n",
                    from,
                    d);
        }
        warnIfWorldSizeChanged(s, from);
    }

    private void warnIfWorldSizeChanged(TrainState s, Path from) {
        if (s.worldSize != sync.worldSize()) {
            console.printf(
                    Locale.ROOT,
                    "WARNING resuming from %s: world size was %d, now %d; the data order per "
                            + "rank changes from here on%n",
                    from,
                    s.worldSize,
                    sync.worldSize());
        }
    }

    private void saveCheckpoint(CheckpointStore checkpoints, TrainState state, AdamW adamw) throws IOException {
        WeightAgreement.require(params, keys, sync, "checkpoint " + state.globalStep);
        if (sync.rank() == 0) {
            requireFinite("checkpoint " + state.globalStep);
            java.nio.file.Path local = Files.createTempDirectory("finetune-ckpt-");
            try {
                model.saveAdapter(local);
                OptimizerStateFile.write(local, keys, adamw);
                Files.write(local.resolve(TrainState.FILE), state.toJson());
                Path where = checkpoints.publish(state.globalStep, local);
                console.printf(Locale.ROOT, "%nsaved %s%n", where);
            } finally {
                CheckpointFiles.deleteTree(local);
            }
        }
        sync.barrier();
    }

    /** A skipped step never touches the weights, so this only fails on a bug; never publish such an adapter. */
    private void requireFinite(String what) {
        for (int i = 0; i < params.size(); i++) {
            try (NDManager scope = manager.newSubManager()) {
                NDArray p = params.get(i);
                scope.tempAttachAll(p);
                if (p.isNaN().logicalOr(p.isInfinite()).any().getBoolean()) {
                    throw new IllegalStateException(
                            "refusing to write " + what + ": LoRA weight " + keys.get(i) + " holds NaN or Inf");
                }
            }
        }
    }

    private void writeLossCurve(TrainState state) throws IOException {
        List<double[]> trainPts = new ArrayList<>();
        List<double[]> evalPts = new ArrayList<>();
        for (Map<String, Object> h : state.logHistory) {
            double step = ((Number) h.get("step")).doubleValue();
            if (h.get("loss") instanceof Number) {
                trainPts.add(new double[] {step, ((Number) h.get("loss")).doubleValue()});
            }
            if (h.get("eval_loss") instanceof Number) {
                evalPts.add(new double[] {step, ((Number) h.get("eval_loss")).doubleValue()});
            }
        }
        try (java.io.OutputStream png = out.fs.create(new Path(out.logs(), "loss_curve.png"), true)) {
            LossCurvePlot.write(trainPts, evalPts, o.projectName + ": loss per optimizer step", png);
        } catch (RuntimeException | LinkageError e) {
            // the plot is a convenience: a Java runtime without image support must not fail a finished run
            console.println("note: loss_curve.png not drawn (" + e + "); the losses are in " + out.logs());
        }
    }

    private static Map<String, Object> history(long step, Map<String, Object> logged) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("step", step);
        h.put("loss", logged.get("loss"));
        h.put("learning_rate", logged.get("learning_rate"));
        h.put("grad_norm", logged.get("grad_norm"));
        return h;
    }

    /** Sums over the steps since the last log line. */
    private final class Interval {
        private double lossSum;
        private int lossCount;
        private double lastNorm;
        private double lastLr;
        private long tokens;
        private long nanos;

        void add(double loss, double norm, double lr, long stepTokens, long stepNanos) {
            if (Double.isFinite(loss)) {
                lossSum += loss;
                lossCount++;
            }
            lastNorm = norm;
            lastLr = lr;
            tokens += stepTokens;
            nanos += stepNanos;
        }

        Map<String, Object> flush(TrainState state, LrSchedule schedule, LossScaler s) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("loss", lossCount > 0 ? lossSum / lossCount : Double.NaN);
            m.put("learning_rate", lastLr);
            m.put("grad_norm", lastNorm);
            m.put("tokens_per_s", nanos > 0 ? tokens / (nanos / 1e9) : 0.0);
            m.put("loss_scale", s.scale());
            m.put("skipped_steps", s.skippedSteps());
            m.put("memory_gib", MemoryProbe.usedGiB(manager.getDevice()));
            m.put("epoch", state.epoch + (double) state.stepInEpoch / Math.max(1, stepsPerEpochOf(state)));
            m.put("tokens_seen", state.tokensSeen);
            lossSum = 0;
            lossCount = 0;
            tokens = 0;
            nanos = 0;
            return m;
        }

        private long stepsPerEpochOf(TrainState state) {
            return train.rows()
                    / ((long) sync.worldSize() * o.training.batchSize * o.training.gradientAccumulationSteps);
        }
    }
}
