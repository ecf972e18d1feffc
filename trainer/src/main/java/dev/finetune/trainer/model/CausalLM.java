package dev.finetune.trainer.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.finetune.trainer.tensor.Autograd;
import dev.finetune.trainer.tensor.GradMode;
import dev.finetune.trainer.tensor.Ops;
import java.util.Random;
import java.util.function.Supplier;

/**
 * A decoder-only causal LM (embed → layers → final RMSNorm → lm_head) with an optional adapter on its
 * projections ({@link ProjectionAdapter}, e.g. LoRA), and
 * the training step API. The model's manager owns the frozen weights; each call opens a sub-manager for its
 * step and one per layer inside it, and hands out only what the caller asked for (docs/djl.md, "Managers").
 *
 * <p>Training ({@link #forwardBackward}): a forward without gradients keeps only each layer's input; the
 * cross-entropy runs on the final hidden state in chunks of rows (so [T, vocab] logits of a whole row never
 * exist at once); then each layer, last to first, is recomputed with gradients on and the upstream gradient
 * injected, accumulating into the gradients of the adapter's tensors.
 */
public final class CausalLM implements AutoCloseable {
    public final ModelConfig config;
    /** FLOAT16 (GPU) or FLOAT32 (CPU): the dtype of base weights and projections. */
    public final DataType computeType;

    private final NDManager manager;
    private final NDArray embedTokens; // [V, D] compute dtype
    private final NDArray norm; // [D] fp32
    private final NDArray lmHead; // [V, D] compute dtype; the same array as embedTokens when tied
    private final DecoderLayer[] layers;
    private final Rope rope;
    private ProjectionAdapter adapter;
    private int lossChunkRows;
    private final Random dropoutSeeds = new Random(0);
    private AttentionKernel attention = AttentionKernel.SDPA;
    private PhaseObserver phases = PhaseObserver.NONE;

    private CausalLM(
            ModelConfig config,
            DataType computeType,
            NDManager manager,
            NDArray embedTokens,
            NDArray norm,
            NDArray lmHead,
            DecoderLayer[] layers) {
        this.config = config;
        this.computeType = computeType;
        this.manager = manager;
        this.embedTokens = embedTokens;
        this.norm = norm;
        this.lmHead = lmHead;
        this.layers = layers;
        this.rope = new Rope(config.rope);
        this.lossChunkRows = defaultLossChunkRows(config.vocabSize);
    }

    /**
     * Rows per cross-entropy chunk such that one chunk's [rows, V] FP32 logits take about 256 MB: a chunk holds
     * several such arrays at once (logits, log-softmax, their gradients), so 1024 rows of a 152k vocabulary
     * would peak near 3 GB. Between 16 and 1024 rows.
     */
    static int defaultLossChunkRows(int vocabSize) {
        return (int) Math.max(16, Math.min(1024, (1L << 26) / Math.max(1, vocabSize)));
    }

    /** Builds the model from weights by HF name, one tensor at a time, into {@code manager} (which it then owns). */
    public static CausalLM create(
            ModelConfig config,
            TensorSource source,
            NDManager manager,
            DataType computeType,
            LinearWeightFactory factory)
            throws java.io.IOException {
        if (computeType != DataType.FLOAT32 && computeType != DataType.FLOAT16) {
            throw new IllegalArgumentException("compute dtype must be FLOAT32 or FLOAT16, got " + computeType
                    + " (BF16 aborts the JVM in DJL 0.36)");
        }
        NDManager embedManager =
                embeddingsOnHost(config, manager.getDevice()) ? manager.newSubManager(Device.cpu()) : manager;
        NDArray embed = source.load(require(source, "model.embed_tokens.weight"), embedManager, computeType);
        DecoderLayer[] layers = new DecoderLayer[config.numLayers];
        for (int i = 0; i < layers.length; i++) {
            layers[i] =
                    new DecoderLayer(config, i, LayerWeights.load(config, i, source, factory, manager, computeType));
        }
        NDArray norm = source.load(require(source, "model.norm.weight"), manager, DataType.FLOAT32);
        NDArray head =
                config.tieWordEmbeddings ? embed : source.load(require(source, "lm_head.weight"), manager, computeType);
        return new CausalLM(config, computeType, manager, embed, norm, head, layers);
    }

    /**
     * Whether the embedding table stays in host memory: on a GPU, when the LM head does not share it. Training
     * reads only B·T rows of it per step (gathered on the host, copied over: tens of MB), and it is frozen, so
     * keeping it off the card saves V·D·2 bytes of GPU memory (1 GiB for Qwen2-7B) for about 2 % of step time
     * (measured on an H200).
     */
    static boolean embeddingsOnHost(ModelConfig config, Device device) {
        return device.isGpu() && !config.tieWordEmbeddings;
    }

    private static String require(TensorSource s, String name) {
        if (!s.contains(name)) {
            throw new IllegalArgumentException("weights lack '" + name + "'"
                    + (name.equals("lm_head.weight") ? "; config.json says tie_word_embeddings=false" : ""));
        }
        return name;
    }

    /** Layer {@code i} (its weights are reachable for tests and for merging). */
    public DecoderLayer layer(int i) {
        return layers[i];
    }

    public NDManager manager() {
        return manager;
    }

    /** Uses {@code adapter} (on this model's device) from now on; null runs the base model. */
    public void setAdapter(ProjectionAdapter adapter) {
        this.adapter = adapter;
    }

    /** The adapter in use, or null. */
    public ProjectionAdapter adapter() {
        return adapter;
    }

    /**
     * Restarts the dropout seeds of the following micro-batches from {@code seed}; the trainer calls it before
     * every optimizer step, so a resumed run draws the masks an uninterrupted one would.
     */
    public void reseedDropout(long seed) {
        dropoutSeeds.setSeed(seed);
    }

    /** Which attention kernel the layers use (default {@link AttentionKernel#SDPA}). */
    public void setAttention(AttentionKernel kernel) {
        this.attention = java.util.Objects.requireNonNull(kernel, "attention kernel");
    }

    public AttentionKernel attention() {
        return attention;
    }

    /** Who watches the phases of the following calls (default {@link PhaseObserver#NONE}). */
    public void setPhaseObserver(PhaseObserver observer) {
        this.phases = java.util.Objects.requireNonNull(observer, "phase observer");
    }

    /** Rows of final hidden states per cross-entropy chunk (default: {@link #defaultLossChunkRows}). */
    public void setLossChunkRows(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("loss chunk rows = " + rows + "; must be ≥ 1");
        }
        this.lossChunkRows = rows;
    }

    // ----------------------------------------------------------------------------------------------------
    // forward pieces

    /** Token embeddings as the FP32 residual stream, [B, T, D] in {@code scope}. */
    private NDArray embed(NDManager scope, NDArray ids) {
        Device table = embedTokens.getDevice();
        NDArray rows = ids.getDevice().equals(table) ? ids : ids.toDevice(table, false);
        NDArray e = embedTokens.get(rows); // the receiver is the weight, so hand the result to the scope at once
        e.attach(scope);
        if (!table.equals(scope.getDevice())) {
            e = e.toDevice(scope.getDevice(), false);
        }
        return Ops.toFloat32(e);
    }

    /** Runs layer i on h inside its own sub-scope; returns the output in {@code scope}. */
    private NDArray runLayer(NDManager scope, int i, NDArray h, LayerContext ctx) {
        try (NDManager layerScope = scope.newSubManager()) {
            NDArray x = h.reshape(h.getShape()); // a view owned by the layer scope, so intermediates land there
            x.attach(layerScope);
            NDArray out = layers[i].forward(x, ctx, adapter);
            out.attach(scope);
            return out;
        }
    }

    /** Final norm + lm_head: h [N, D] (or [B, T, D]) fp32 → logits fp32, in h's manager. */
    private NDArray head(NDArray h) {
        NDArray x = Ops.rmsNormCast(h, norm, config.rmsNormEps, computeType);
        return Ops.toFloat32(Linear.linear(x, lmHead).singletonOrThrow());
    }

    private LayerContext trainingContext(NDManager scope, TrainingBatch batch, NDArray[] idsOut, boolean training) {
        Shape bt = new Shape(batch.rows, batch.length);
        NDArray ids = scope.create(batch.ids, bt);
        NDArray segments = scope.create(batch.segments, bt);
        NDArray positions = scope.create(batch.positions, bt);
        NDList cs = rope.cosSin(scope, positions, computeType);
        Supplier<NDArray> full = () -> AttentionMask.fromSegments(scope, segments, 0);
        Supplier<NDArray> sliding = config.hasSlidingLayers()
                ? () -> AttentionMask.fromSegments(scope, segments, config.slidingWindow)
                : null;
        idsOut[0] = ids;
        Supplier<NDArray[]> documents = () -> SdpaAttention.documents(scope, batch.documentBounds());
        return new LayerContext(
                computeType,
                training,
                cs.get(0),
                cs.get(1),
                full,
                sliding,
                batch.oneDocumentPerRow(),
                documents,
                null,
                attention,
                phases);
    }

    // ----------------------------------------------------------------------------------------------------
    // inference

    /**
     * Logits [B, T, V] fp32 of a batch with segments and positions (packed rows give each document its own
     * logits), in {@code scope}. For tests and evaluation of short rows: it materialises every logit.
     */
    public NDArray logits(NDManager scope, TrainingBatch batch) {
        return GradMode.with(false, () -> {
            NDArray[] ids = new NDArray[1];
            LayerContext ctx = trainingContext(scope, batch, ids, false);
            NDArray h = embed(scope, ids[0]);
            for (int i = 0; i < layers.length; i++) {
                h = runLayer(scope, i, h, ctx);
            }
            return head(h);
        });
    }

    /**
     * One decoding step with a KV cache: ids [B·T] row-major (T new tokens per row; the first call passes the
     * left-padded prompts), positions continue from the cache minus each row's padding. Returns the logits
     * [B, V] fp32 of each row's last token, in {@code scope}.
     */
    public NDArray decode(NDManager scope, long[] ids, int rows, KvCache cache) {
        int t = ids.length / rows;
        return GradMode.with(false, () -> {
            int offset = cache.length();
            long[] pads = cache.padLengths();
            long[] pos = new long[ids.length];
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < t; j++) {
                    pos[r * t + j] = Math.max(0, offset + j - pads[r]);
                }
            }
            Shape bt = new Shape(rows, t);
            NDList cs = rope.cosSin(scope, scope.create(pos, bt), computeType);
            Supplier<NDArray> full = () -> AttentionMask.forDecoding(scope, pads, offset, t, 0);
            Supplier<NDArray> sliding = config.hasSlidingLayers()
                    ? () -> AttentionMask.forDecoding(scope, pads, offset, t, config.slidingWindow)
                    : null;
            LayerContext ctx = new LayerContext(
                    computeType, false, cs.get(0), cs.get(1), full, sliding, false, null, cache, attention, phases);
            NDArray h = embed(scope, scope.create(ids, bt));
            for (int i = 0; i < layers.length; i++) {
                h = runLayer(scope, i, h, ctx);
            }
            cache.advance(t);
            NDArray last = h.get(":, -1, :"); // [B, D]
            return head(last);
        });
    }

    // ----------------------------------------------------------------------------------------------------
    // training

    /**
     * One micro-batch: loss of all targets, and gradients of (loss sum · lossScale / divisor) accumulated
     * into the adapter's A/B (never zeroed here). Memory: layer inputs [B, T, D] fp32 per layer plus one
     * layer's activations and one chunk of logits at a time.
     */
    public LossAndCount forwardBackward(TrainingBatch batch, float lossScale, float divisor) {
        requireTrainableAdapter();
        float scale = lossScale / divisor;
        long seed = dropoutSeeds.nextLong();
        try (NDManager step = manager.newSubManager()) {
            return GradMode.with(false, () -> {
                NDArray[] ids = new NDArray[1];
                LayerContext ctx = trainingContext(step, batch, ids, true);
                NDArray h = embed(step, ids[0]);
                NDArray[] inputs = new NDArray[layers.length];
                for (int i = 0; i < layers.length; i++) {
                    inputs[i] = h;
                    seedDropout(seed, i);
                    h = runLayer(step, i, h, ctx);
                }
                h.setRequiresGradient(true);
                // the loss is read once the whole backward is queued: reading it here would make the host wait
                // for the device's forward before it could queue a single op of the backward
                PendingLoss loss = crossEntropy(step, h, batch, scale, true);
                NDArray dHidden = h.getGradient();
                dHidden.attach(step);
                for (int i = layers.length - 1; i >= 0; i--) {
                    try (NDManager layerScope = step.newSubManager()) {
                        seedDropout(seed, i);
                        NDArray dInput = layers[i].recomputeBackward(layerScope, inputs[i], dHidden, ctx, adapter);
                        dInput.attach(step);
                        dHidden.close();
                        inputs[i].close();
                        dHidden = dInput;
                    }
                }
                return loss.read();
            });
        }
    }

    /**
     * The same loss and gradients through one autograd graph over the whole model (no recomputation): the
     * reference that {@link #forwardBackward} is tested against, and fine for small models.
     */
    public LossAndCount forwardBackwardWithoutRecompute(TrainingBatch batch, float lossScale, float divisor) {
        requireTrainableAdapter();
        long seed = dropoutSeeds.nextLong();
        try (NDManager step = manager.newSubManager()) {
            return GradMode.with(true, () -> {
                NDArray[] ids = new NDArray[1];
                LayerContext ctx = trainingContext(step, batch, ids, true);
                NDArray h = embed(step, ids[0]);
                for (int i = 0; i < layers.length; i++) {
                    seedDropout(seed, i);
                    h = layers[i].forward(h, ctx, adapter);
                }
                int saved = lossChunkRows;
                lossChunkRows = Integer.MAX_VALUE; // one chunk: the graph above may be traversed only once
                try {
                    return crossEntropy(step, h, batch, lossScale / divisor, true)
                            .read();
                } finally {
                    lossChunkRows = saved;
                }
            });
        }
    }

    /** Loss only (evaluation), no gradients. */
    public LossAndCount loss(TrainingBatch batch) {
        try (NDManager step = manager.newSubManager()) {
            return GradMode.with(false, () -> {
                NDArray[] ids = new NDArray[1];
                LayerContext ctx = trainingContext(step, batch, ids, false);
                NDArray h = embed(step, ids[0]);
                for (int i = 0; i < layers.length; i++) {
                    h = runLayer(step, i, h, ctx);
                }
                return crossEntropy(step, h, batch, 0, false).read();
            });
        }
    }

    /**
     * Cross-entropy of the targets from the final hidden state h [B, T, D]: the logit row at t-1 predicts
     * ids[t] where target[t]. Rows are gathered and processed in chunks; with {@code backward} each chunk's
     * (sum · scale) is backpropagated into h at once, so only one chunk's logits exist at a time.
     */
    private PendingLoss crossEntropy(NDManager step, NDArray h, TrainingBatch batch, float scale, boolean backward) {
        PhaseObserver.Span span = phases.begin(PhaseObserver.Phase.LOSS);
        try {
            return crossEntropyChunks(step, h, batch, scale, backward);
        } finally {
            span.end(backward && phases.usesResults() ? h.getGradient() : null);
        }
    }

    private PendingLoss crossEntropyChunks(
            NDManager step, NDArray h, TrainingBatch batch, float scale, boolean backward) {
        int n = batch.targetCount();
        long[] rows = new long[n];
        long[] labels = new long[n];
        int k = 0;
        for (int i = 0; i < batch.targets.length; i++) {
            if (batch.targets[i]) {
                rows[k] = i - 1; // same row: a target is never a row's first token
                labels[k++] = batch.ids[i];
            }
        }
        long d = h.getShape().get(2);
        // chunk sums stay on the device and are read once at the end: reading each one would make the host wait
        // for the device once per chunk
        NDList sums = new NDList();
        for (int start = 0; start < n; start += lossChunkRows) {
            int end = (int) Math.min(n, (long) start + lossChunkRows);
            try (NDManager chunk = step.newSubManager()) {
                NDArray idx = chunk.create(java.util.Arrays.copyOfRange(rows, start, end));
                NDArray lab = chunk.create(java.util.Arrays.copyOfRange(labels, start, end))
                        .reshape(end - start, 1);
                NDArray nll = GradMode.with(backward, () -> {
                    NDArray flat = h.reshape(-1, d); // [B·T, D], recorded by autograd: grad mode is on here
                    flat.attach(chunk);
                    NDArray logits = head(flat.get(idx)); // [n, V] fp32
                    return logits.logSoftmax(-1).gather(lab, 1).neg().sum(); // scalar
                });
                NDArray sum = nll.toType(DataType.FLOAT64, false); // a copy outside the graph (grad mode is off)
                sum.attach(step);
                sums.add(sum);
                if (backward) {
                    NDArray grad = chunk.full(nll.getShape(), scale, DataType.FLOAT32);
                    Autograd.backward(nll, grad);
                }
            }
        }
        if (sums.isEmpty()) {
            return new PendingLoss(null, 0);
        }
        try {
            NDArray total = NDArrays.stack(sums).sum();
            total.attach(step);
            return new PendingLoss(total, n);
        } finally {
            sums.close();
        }
    }

    /** A loss sum still on the device: {@link #read} waits for it (and for everything queued before it). */
    private static final class PendingLoss {
        private final NDArray total; // FP64 scalar in the step's manager, or null without targets
        private final long count;

        PendingLoss(NDArray total, long count) {
            this.total = total;
            this.count = count;
        }

        LossAndCount read() {
            return new LossAndCount(total == null ? 0 : total.getDouble(), count);
        }
    }

    private void requireTrainableAdapter() {
        if (adapter == null) {
            throw new IllegalStateException("training needs an adapter: call setAdapter(...) first, e.g. with "
                    + "LoraAdapter.initialize(...) or LoraAdapter.load(..., trainable=true)");
        }
    }

    /** Same dropout masks in the forward and the recompute of a layer (torch checkpointing restores RNG too). */
    private void seedDropout(long seed, int layer) {
        if (adapter != null && adapter.drawsRandomNumbers()) {
            Engine.getInstance().setRandomSeed((int) (seed ^ (layer * 0x9E3779B97F4A7C15L)));
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
