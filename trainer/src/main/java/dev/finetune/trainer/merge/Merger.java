package dev.finetune.trainer.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.config.ConfigException;
import dev.finetune.storage.AtomicOutput;
import dev.finetune.storage.OutputExistsException;
import dev.finetune.storage.Storage;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.lora.LoraSettings;
import dev.finetune.trainer.lora.LoraTarget;
import dev.finetune.trainer.model.ModelConfig;
import dev.finetune.trainer.safetensors.SafetensorsCheckpoint;
import dev.finetune.trainer.safetensors.SafetensorsDType;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import dev.finetune.trainer.safetensors.SafetensorsWriter;
import dev.finetune.trainer.safetensors.TensorInfo;
import dev.finetune.trainer.train.FinalSave;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Merges a LoRA adapter into the base model's original weights and publishes a model folder transformers
 * loads. Tensor by tensor: a targeted weight is read as FP32, gets scale·B·A added ({@link LoraDelta}), is
 * checked and written in the output dtype; every other tensor is converted in chunks. Host memory beyond the
 * memory-mapped base: one FP32 tensor plus one LoRA pair. Everything goes under {@link AtomicOutput}'s temporary
 * folder and is published with {@code _SUCCESS} last, so a half-written merge never looks complete.
 */
public final class Merger {
    private static final int CHUNK = 1 << 20; // elements per conversion chunk of an untouched tensor
    private static final String LM_HEAD = "lm_head.weight";

    private Merger() {}

    /** What was written. */
    public static final class Result {
        public final Path output;
        public final OutputDtype dtype;
        public final List<String> files;
        public final int mergedTensors;
        public final long totalSize;

        Result(Path output, OutputDtype dtype, List<String> files, int mergedTensors, long totalSize) {
            this.output = output;
            this.dtype = dtype;
            this.files = files;
            this.mergedTensors = mergedTensors;
            this.totalSize = totalSize;
        }
    }

    public static Result run(MergeCommand o, Configuration conf, PrintStream log) throws IOException {
        o.validate();
        ModelConfig config = ModelConfig.read(o.model);
        String configText = new String(Files.readAllBytes(o.model.resolve("config.json")), StandardCharsets.UTF_8);
        refuseQuantized(new ObjectMapper().readTree(configText), o.model);
        OutputDtype dtype = o.dtype != null ? o.dtype : defaultDtype(config);
        Path target = Storage.path(o.output);
        FileSystem fs = Storage.fileSystem(target, conf);
        java.nio.file.Path copied = null;
        try {
            Path adapterPath = Storage.path(o.adapter);
            boolean local = "file".equals(adapterPath.toUri().getScheme());
            java.nio.file.Path adapterDir =
                    local ? java.nio.file.Paths.get(adapterPath.toUri()) : copyToLocal(adapterPath, conf);
            copied = local ? null : adapterDir;
            LoraSettings settings = LoraSettings.read(adapterDir);
            List<LoraTarget> targets = LoraAdapter.targets(settings, config);
            try (SafetensorsCheckpoint base = SafetensorsCheckpoint.open(o.model);
                    SafetensorsFile adapter = LoraAdapter.openWeights(adapterDir)) {
                LoraAdapter.checkWeights(adapter, settings, targets);
                Map<String, LoraTarget> byWeight = byBaseWeight(base, targets, o.model);
                List<String> names = tensorsToWrite(base, config, o.model);
                Map<String, Long> bytes = new LinkedHashMap<>();
                long elements = 0;
                for (String n : names) {
                    TensorInfo t = base.info(n);
                    bytes.put(n, t.size() * dtype.safetensors.bytes());
                    elements += t.size();
                }
                ShardPlan plan = ShardPlan.split(bytes, elements, o.maxShardBytes);
                log.println("merge: " + targets.size() + " LoRA pairs (r=" + settings.r + ", scale="
                        + settings.scaling()
                        + ") into " + names.size() + " tensors of " + o.model + " → " + target + " as " + dtype + ", "
                        + plan.fileCount() + " file(s), " + plan.totalSize() + " bytes");
                AtomicOutput out;
                try {
                    out = AtomicOutput.begin(fs, target, o.overwrite);
                } catch (OutputExistsException e) {
                    throw new ConfigException(e.getMessage(), e); // --output names a folder that must be kept
                }
                try {
                    List<String> files = new ArrayList<>();
                    for (int i = 0; i < plan.fileCount(); i++) {
                        Path file = new Path(out.dir(), plan.fileName(i));
                        writeShard(
                                fs,
                                file,
                                plan.tensors(i),
                                base,
                                adapter,
                                byWeight,
                                settings.r,
                                settings.scaling(),
                                dtype);
                        files.add(plan.fileName(i));
                        log.println("merge: wrote " + plan.fileName(i) + " ("
                                + plan.tensors(i).size() + " tensors)");
                    }
                    if (plan.needsIndex()) {
                        writeText(fs, new Path(out.dir(), ShardPlan.INDEX_FILE), plan.indexJson());
                        files.add(ShardPlan.INDEX_FILE);
                    }
                    writeText(
                            fs,
                            new Path(out.dir(), "config.json"),
                            MergedConfig.withDtype(
                                    configText,
                                    dtype,
                                    o.model.resolve("config.json").toString()));
                    files.add("config.json");
                    for (String name : FinalSave.BASE_FILES) {
                        java.nio.file.Path f = o.model.resolve(name);
                        if (!name.equals("config.json") && Files.isRegularFile(f)) {
                            fs.copyFromLocalFile(false, true, new Path(f.toUri()), new Path(out.dir(), name));
                            files.add(name);
                        }
                    }
                    out.commit();
                    log.println("merge: published " + out.target());
                    return new Result(out.target(), dtype, files, byWeight.size(), plan.totalSize());
                } catch (IOException | RuntimeException | Error e) {
                    out.abort();
                    throw e;
                }
            }
        } finally {
            if (copied != null) {
                deleteLocal(copied);
            }
        }
    }

    /** The base checkpoint's own dtype when it is one we write, else FP32 (lossless). */
    static OutputDtype defaultDtype(ModelConfig config) {
        OutputDtype d = OutputDtype.ofTorchName(config.checkpointDtype);
        return d != null ? d : OutputDtype.FP32;
    }

    private static void refuseQuantized(JsonNode config, java.nio.file.Path model) {
        if (config.hasNonNull("quantization_config")) {
            throw new IllegalArgumentException(model + "/config.json has a quantization_config ("
                    + config.get("quantization_config").path("quant_method").asText("?") + "): merging needs the "
                    + "original BF16/F16/F32 checkpoint, not a quantized copy, or the update is lost to rounding");
        }
    }

    /** Each target's base weight, checked to exist with shape [out, in] and a float dtype. */
    private static Map<String, LoraTarget> byBaseWeight(
            SafetensorsCheckpoint base, List<LoraTarget> targets, java.nio.file.Path model) {
        Map<String, LoraTarget> m = new HashMap<>();
        for (LoraTarget t : targets) {
            String key = t.baseWeight();
            if (!base.contains(key)) {
                throw new IllegalArgumentException(model + ": the adapter targets " + key
                        + ", which the checkpoint lacks; " + "was the adapter trained on another base model?");
            }
            long[] shape = base.info(key).shape();
            if (!Arrays.equals(shape, new long[] {t.out, t.in})) {
                throw new IllegalArgumentException(model + ": " + key + " has shape " + Arrays.toString(shape)
                        + ", the adapter's pair expects [" + t.out + ", " + t.in + "]");
            }
            m.put(key, t);
        }
        return m;
    }

    /** Every base tensor in layer order, less a tied lm_head (transformers does not save it either). */
    private static List<String> tensorsToWrite(
            SafetensorsCheckpoint base, ModelConfig config, java.nio.file.Path model) {
        List<String> names = new ArrayList<>();
        for (String n : base.names()) {
            if (config.tieWordEmbeddings && n.equals(LM_HEAD)) {
                continue;
            }
            SafetensorsDType d = base.info(n).dtype();
            if (d != SafetensorsDType.F32
                    && d != SafetensorsDType.F16
                    && d != SafetensorsDType.BF16
                    && d != SafetensorsDType.F64) {
                throw new IllegalArgumentException(
                        model + ": tensor " + n + " is " + d + "; merging needs the original "
                                + "checkpoint with float weights (a 4-bit or 8-bit quantized copy cannot be merged into)");
            }
            names.add(n);
        }
        names.sort(Merger::naturalOrder);
        return names;
    }

    private static void writeShard(
            FileSystem fs,
            Path file,
            List<String> names,
            SafetensorsCheckpoint base,
            SafetensorsFile adapter,
            Map<String, LoraTarget> byWeight,
            int r,
            float scale,
            OutputDtype dtype)
            throws IOException {
        List<SafetensorsWriter.Spec> specs = new ArrayList<>();
        for (String n : names) {
            specs.add(new SafetensorsWriter.Spec(
                    n, dtype.safetensors, base.info(n).shape()));
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(
                fs.create(file, false), file.toString(), SafetensorsWriter.ptMetadata(), specs)) {
            float[] chunk = null;
            for (String n : names) {
                LoraTarget t = byWeight.get(n);
                if (t != null) {
                    float[] weight = base.readFloats(n); // [out, in] fp32
                    LoraDelta.addTo(
                            weight,
                            (int) t.out,
                            (int) t.in,
                            adapter.readFloats(t.keyA()),
                            adapter.readFloats(t.keyB()),
                            r,
                            scale);
                    checkWritable(n, weight, weight.length, 0, dtype, true);
                    w.write(n, weight);
                    continue;
                }
                long size = base.info(n).size();
                if (chunk == null) {
                    chunk = new float[CHUNK];
                }
                long from = 0;
                do { // a zero-size tensor still gets its (empty) part written
                    int count = (int) Math.min(CHUNK, size - from);
                    base.readFloats(n, from, chunk, count);
                    checkWritable(n, chunk, count, from, dtype, false);
                    w.writePart(n, chunk, count);
                    from += count;
                } while (from < size);
            }
        }
    }

    /**
     * Refuses NaN, ±Inf and values the output dtype cannot hold (like peft's safe merge, which refuses NaN in
     * a merged weight): a broken model must not be published.
     */
    static void checkWritable(String name, float[] v, int count, long offset, OutputDtype dtype, boolean merged) {
        float limit = dtype.overflowLimit();
        for (int i = 0; i < count; i++) {
            if (!(Math.abs(v[i]) < limit)) {
                String what = Float.isNaN(v[i]) ? "NaN" : Float.isInfinite(v[i]) ? "Inf" : "value " + v[i];
                if (!Float.isFinite(v[i])) {
                    throw new IllegalArgumentException((merged
                                    ? "merging the adapter into " + name + " produced "
                                    : "base tensor " + name + " holds ")
                            + what + " at element " + (offset + i) + "; "
                            + (merged
                                    ? "the adapter is broken (did training diverge? check its loss)"
                                    : "the base checkpoint is damaged"));
                }
                throw new IllegalArgumentException(name + ": " + what + " at element " + (offset + i)
                        + (merged ? " after merging" : "") + " overflows " + dtype + "; write with --dtype "
                        + (dtype == OutputDtype.FP16 ? "bf16 or fp32" : "fp32"));
            }
        }
    }

    private static void writeText(FileSystem fs, Path file, String text) throws IOException {
        try (OutputStream out = fs.create(file, false)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A remote adapter folder's two files copied to a local temporary folder (they are small). */
    private static java.nio.file.Path copyToLocal(Path adapter, Configuration conf) throws IOException {
        FileSystem fs = Storage.fileSystem(adapter, conf);
        java.nio.file.Path local = Files.createTempDirectory("finetune-merge-adapter-");
        for (String name : Arrays.asList(LoraSettings.CONFIG_FILE, LoraAdapter.WEIGHTS_FILE)) {
            Path src = new Path(adapter, name);
            if (!fs.exists(src)) {
                deleteLocal(local);
                throw new IOException(adapter + ": no " + name + "; --adapter must be a peft adapter folder");
            }
            fs.copyToLocalFile(false, src, new Path(local.resolve(name).toUri()), true);
        }
        return local;
    }

    private static void deleteLocal(java.nio.file.Path dir) throws IOException {
        try (java.util.stream.Stream<java.nio.file.Path> s = Files.list(dir)) {
            for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) s::iterator) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    /** Names compared with digit runs as numbers: model.layers.2 before model.layers.10, as the model orders them. */
    static int naturalOrder(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char ca = a.charAt(i);
            char cb = b.charAt(j);
            if (Character.isDigit(ca) && Character.isDigit(cb)) {
                int ei = i;
                int ej = j;
                while (ei < a.length() && Character.isDigit(a.charAt(ei))) {
                    ei++;
                }
                while (ej < b.length() && Character.isDigit(b.charAt(ej))) {
                    ej++;
                }
                int c = new java.math.BigInteger(a.substring(i, ei))
                        .compareTo(new java.math.BigInteger(b.substring(j, ej)));
                if (c != 0) {
                    return c;
                }
                i = ei;
                j = ej;
            } else {
                if (ca != cb) {
                    return Character.compare(ca, cb);
                }
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
