package dev.finetune.trainer.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.model.ModelConfig;
import dev.finetune.trainer.model.Projection;
import dev.finetune.trainer.model.ProjectionAdapter;
import dev.finetune.trainer.safetensors.SafetensorsDType;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import dev.finetune.trainer.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * A whole LoRA adapter for a decoder model: settings plus FP32 A/B pairs per targeted projection, owned by
 * the manager given at creation (the trainer's, not the model's). Loads and saves peft's files. As the model's
 * {@link ProjectionAdapter} it adds each pair's {@link LoraLinear#forward} to its projection.
 */
public final class LoraAdapter implements ProjectionAdapter {
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    public final LoraSettings settings;
    private final LoraLinear[][] pairs; // [layer][projection ordinal], null where not targeted
    private final Map<String, NDArray> parameters; // peft key → tensor, in layer/projection order

    private LoraAdapter(LoraSettings settings, LoraLinear[][] pairs, Map<String, NDArray> parameters) {
        this.settings = settings;
        this.pairs = pairs;
        this.parameters = Collections.unmodifiableMap(parameters);
    }

    /** Tensor values for one pair; returns {A, B}. */
    private interface PairSource {
        NDArray[] make(int layer, Projection projection, long in, long out) throws IOException;
    }

    /** Every projection these settings put a pair on for this model, layers in order, projections in forward order. */
    public static List<LoraTarget> targets(LoraSettings s, ModelConfig config) {
        List<LoraTarget> out = new ArrayList<>();
        for (int i = 0; i < config.numLayers; i++) {
            for (Projection proj : Projection.all()) {
                if (s.targets(i, proj.hfName)) {
                    out.add(new LoraTarget(i, proj, proj.in(config), proj.out(config)));
                }
            }
        }
        return out;
    }

    private static LoraAdapter build(LoraSettings s, ModelConfig config, boolean trainable, PairSource src)
            throws IOException {
        LoraLinear[][] pairs = new LoraLinear[config.numLayers][Projection.all().size()];
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (LoraTarget t : targets(s, config)) {
            NDArray[] ab = src.make(t.layer, t.projection, t.in, t.out);
            if (trainable) {
                ab[0].setRequiresGradient(true);
                ab[1].setRequiresGradient(true);
            }
            pairs[t.layer][t.projection.ordinal()] = new LoraLinear(ab[0], ab[1], s.scaling(), (float) s.dropout);
            params.put(t.keyA(), ab[0]);
            params.put(t.keyB(), ab[1]);
        }
        return new LoraAdapter(s, pairs, params);
    }

    /**
     * A new adapter initialised as peft does by default: A ~ kaiming-uniform(a=√5) = U(-1/√in, 1/√in)
     * (nn.Linear's default), B = 0, so the model starts equal to its base.
     */
    public static LoraAdapter initialize(LoraSettings settings, ModelConfig config, NDManager manager, long seed) {
        Random rng = new Random(seed);
        try {
            return build(settings, config, true, (layer, proj, in, out) -> {
                float bound = (float) (1.0 / Math.sqrt(in));
                float[] a = new float[Math.toIntExact(settings.r * in)];
                for (int k = 0; k < a.length; k++) {
                    a[k] = (rng.nextFloat() * 2 - 1) * bound;
                }
                return new NDArray[] {
                    manager.create(a, new Shape(settings.r, in)),
                    manager.zeros(new Shape(out, settings.r), DataType.FLOAT32)
                };
            });
        } catch (IOException e) {
            throw new IllegalStateException("unreachable: initialisation reads no file", e);
        }
    }

    /** Loads a peft adapter folder; every key must be one this model and config expect, and no key may be missing. */
    public static LoraAdapter load(Path dir, ModelConfig config, NDManager manager, boolean trainable)
            throws IOException {
        LoraSettings settings = LoraSettings.read(dir);
        try (SafetensorsFile f = openWeights(dir)) {
            checkWeights(f, settings, targets(settings, config));
            return build(settings, config, trainable, (layer, proj, in, out) -> new NDArray[] {
                owned(f, PeftKeys.loraA(layer, proj), manager), owned(f, PeftKeys.loraB(layer, proj), manager)
            });
        }
    }

    /** Opens {@code dir/adapter_model.safetensors}; says what to do when only the pickle format is there. */
    public static SafetensorsFile openWeights(Path dir) throws IOException {
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new IOException(dir + ": no " + WEIGHTS_FILE + " (adapter_model.bin is not read; re-save with "
                    + "safe_serialization=True)");
        }
        return SafetensorsFile.open(weights);
    }

    /**
     * Checks an adapter file against the targets its config implies: every A [r, in] and B [out, r] is there with
     * that shape, and no tensor is left unexplained.
     */
    public static void checkWeights(SafetensorsFile f, LoraSettings settings, List<LoraTarget> targets)
            throws IOException {
        Set<String> unused = new TreeSet<>(f.names());
        for (LoraTarget t : targets) {
            checkShape(f, t.keyA(), new long[] {settings.r, t.in});
            checkShape(f, t.keyB(), new long[] {t.out, settings.r});
            unused.remove(t.keyA());
            unused.remove(t.keyB());
        }
        if (!unused.isEmpty()) {
            throw new IOException(f.path() + ": " + unused.size() + " tensors this loader does not use, e.g. "
                    + unused.iterator().next() + "; target_modules " + settings.targetModules
                    + " and the model config do not explain them");
        }
    }

    private static void checkShape(SafetensorsFile f, String key, long[] shape) throws IOException {
        if (!f.contains(key)) {
            throw new IOException(
                    f.path() + ": missing " + key + " which adapter_config.json's target_modules implies");
        }
        long[] got = f.info(key).shape();
        if (!java.util.Arrays.equals(got, shape)) {
            throw new IOException(f.path() + ": " + key + " has shape " + java.util.Arrays.toString(got) + ", expected "
                    + java.util.Arrays.toString(shape) + " for r=" + shape[0] + " and this model's config");
        }
    }

    private static NDArray owned(SafetensorsFile f, String key, NDManager manager) throws IOException {
        NDArray mapped = f.load(key, manager, DataType.FLOAT32);
        // the loaded array may alias the file's read-only mapping: AdamW updates in place, so own the memory
        NDArray owned = mapped.duplicate();
        mapped.close();
        return owned;
    }

    /** The pair on {@code projection} of layer {@code layer}, or null where the adapter does not target it. */
    public LoraLinear pair(int layer, Projection projection) {
        return pairs[layer][projection.ordinal()];
    }

    @Override
    public NDArray delta(int layer, Projection projection, NDArray x, boolean training) {
        LoraLinear pair = pairs[layer][projection.ordinal()];
        return pair == null ? null : pair.forward(x, training);
    }

    @Override
    public NDArray project(
            int layer, Projection projection, NDArray x, NDArray weight, NDArray bias, boolean training) {
        LoraLinear pair = pairs[layer][projection.ordinal()];
        return pair == null ? null : pair.project(x, weight, bias, training);
    }

    @Override
    public boolean drawsRandomNumbers() {
        return settings.dropout > 0;
    }

    /** All trainable tensors by peft key (A before B, layers in order). */
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    /** Zeroes every gradient (DJL never does it by itself). */
    public void zeroGradients() {
        for (NDArray p : parameters.values()) {
            NDArray g = p.getGradient();
            g.subi(g);
            g.close();
        }
    }

    /** Writes adapter_config.json + adapter_model.safetensors (F32, {"format":"pt"}) exactly as peft lays them out. */
    public void save(Path dir, String baseModelNameOrPath) throws IOException {
        Files.createDirectories(dir);
        settings.write(dir, baseModelNameOrPath);
        SafetensorsWriter.writeAll(
                dir.resolve(WEIGHTS_FILE), SafetensorsWriter.ptMetadata(), parameters, SafetensorsDType.F32);
    }
}
