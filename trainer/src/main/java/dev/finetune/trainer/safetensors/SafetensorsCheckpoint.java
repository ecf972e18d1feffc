package dev.finetune.trainer.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The weights of a Hugging Face model folder: either one {@code model.safetensors} or shards listed in
 * {@code model.safetensors.index.json} ({"weight_map": {tensor name: shard file}}). Shards are opened once
 * and closed together.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path dir;
    private final Map<String, SafetensorsFile> byTensor;
    private final Map<String, SafetensorsFile> files;

    private SafetensorsCheckpoint(Path dir, Map<String, SafetensorsFile> byTensor, Map<String, SafetensorsFile> files) {
        this.dir = dir;
        this.byTensor = byTensor;
        this.files = files;
    }

    /** Opens the checkpoint of a model folder; says which files were looked for when none is there. */
    public static SafetensorsCheckpoint open(Path dir) throws IOException {
        Map<String, SafetensorsFile> files = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new TreeMap<>();
        try {
            Path index = dir.resolve(INDEX_FILE);
            if (Files.isRegularFile(index)) {
                JsonNode map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
                if (!map.isObject() || map.size() == 0) {
                    throw new IOException(
                            index + ": no \"weight_map\" object; expected {\"weight_map\": {tensor: file}}");
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String file = e.getValue().asText();
                    SafetensorsFile f = files.get(file);
                    if (f == null) {
                        Path p = dir.resolve(file);
                        if (!Files.isRegularFile(p)) {
                            throw new IOException(index + " names shard " + file + " for tensor " + e.getKey()
                                    + ", but " + p + " does not exist; download the complete model folder");
                        }
                        f = SafetensorsFile.open(p);
                        files.put(file, f);
                    }
                    if (!f.contains(e.getKey())) {
                        throw new IOException(index + " puts " + e.getKey() + " in " + file + ", which lacks it");
                    }
                    byTensor.put(e.getKey(), f);
                }
            } else {
                Path single = dir.resolve(SINGLE_FILE);
                if (!Files.isRegularFile(single)) {
                    throw new IOException(dir + ": neither " + SINGLE_FILE + " nor " + INDEX_FILE
                            + " found; a model folder needs safetensors weights (PyTorch .bin is not read)");
                }
                SafetensorsFile f = SafetensorsFile.open(single);
                files.put(SINGLE_FILE, f);
                for (String n : f.names()) {
                    byTensor.put(n, f);
                }
            }
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile f : files.values()) {
                f.close();
            }
            throw e;
        }
        return new SafetensorsCheckpoint(dir, byTensor, files);
    }

    public Set<String> names() {
        return byTensor.keySet();
    }

    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    public TensorInfo info(String name) {
        return file(name).info(name);
    }

    /** See {@link SafetensorsFile#load}. */
    public NDArray load(String name, NDManager manager, DataType target) throws IOException {
        return file(name).load(name, manager, target);
    }

    public float[] readFloats(String name) throws IOException {
        return file(name).readFloats(name);
    }

    /** See {@link SafetensorsFile#readFloats(String, long, float[], int)}. */
    public void readFloats(String name, long from, float[] dst, int count) throws IOException {
        file(name).readFloats(name, from, dst, count);
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new IllegalArgumentException(dir + ": the checkpoint has no tensor '" + name + "' (" + byTensor.size()
                    + " tensors); is this folder a model of the family its config.json names?");
        }
        return f;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile f : files.values()) {
            try {
                f.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
