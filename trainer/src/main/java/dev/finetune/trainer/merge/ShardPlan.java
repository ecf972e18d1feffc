package dev.finetune.trainer.merge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which tensor goes into which safetensors file, the way transformers' {@code save_pretrained} splits a state
 * dict (huggingface_hub {@code split_torch_state_dict_into_shards}): tensors in order; a tensor larger than the
 * limit gets a file of its own; otherwise a new file starts when the next tensor would take the current one past
 * the limit. One file is {@code model.safetensors}; several are {@code model-00001-of-0000N.safetensors} with
 * {@code model.safetensors.index.json}. Sizes count tensor data only, not headers, as upstream does.
 */
public final class ShardPlan {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final List<List<String>> shards;
    private final Map<String, Long> bytes;
    private final long totalParameters;

    private ShardPlan(List<List<String>> shards, Map<String, Long> bytes, long totalParameters) {
        this.shards = shards;
        this.bytes = bytes;
        this.totalParameters = totalParameters;
    }

    /**
     * @param tensorBytes tensor name → size in bytes as written, in writing order
     * @param elements total number of elements of all tensors (the index's total_parameters)
     * @param maxShardBytes the limit per file, above 0
     */
    public static ShardPlan split(Map<String, Long> tensorBytes, long elements, long maxShardBytes) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("max shard size = " + maxShardBytes + " bytes; must be above 0");
        }
        List<List<String>> shards = new ArrayList<>();
        List<String> current = new ArrayList<>();
        long currentBytes = 0;
        for (Map.Entry<String, Long> e : tensorBytes.entrySet()) {
            long size = e.getValue();
            if (size > maxShardBytes) {
                shards.add(Collections.singletonList(e.getKey()));
                continue;
            }
            if (currentBytes + size > maxShardBytes && !current.isEmpty()) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(e.getKey());
            currentBytes += size;
        }
        if (!current.isEmpty() || shards.isEmpty()) {
            shards.add(current);
        }
        return new ShardPlan(shards, new LinkedHashMap<>(tensorBytes), elements);
    }

    public int fileCount() {
        return shards.size();
    }

    /** File name of shard {@code i} (0-based). */
    public String fileName(int i) {
        if (shards.size() == 1) {
            return SINGLE_FILE;
        }
        return String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
    }

    /** Tensor names of shard {@code i}, in writing order. */
    public List<String> tensors(int i) {
        return Collections.unmodifiableList(shards.get(i));
    }

    /** Sum of all tensors' bytes (the index's total_size). */
    public long totalSize() {
        long n = 0;
        for (long b : bytes.values()) {
            n += b;
        }
        return n;
    }

    /** Whether an index file is written (more than one file). */
    public boolean needsIndex() {
        return shards.size() > 1;
    }

    /**
     * model.safetensors.index.json as transformers writes it: {@code json.dumps(index, indent=2, sort_keys=True)}
     * plus a newline, with metadata {total_parameters, total_size} and the weight_map sorted by tensor name.
     */
    public String indexJson() {
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            for (String t : shards.get(i)) {
                weightMap.put(t, fileName(i));
            }
        }
        StringBuilder sb = new StringBuilder("{\n  \"metadata\": {\n");
        sb.append("    \"total_parameters\": ").append(totalParameters).append(",\n");
        sb.append("    \"total_size\": ").append(totalSize()).append("\n  },\n  \"weight_map\": {\n");
        int n = 0;
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            sb.append("    ")
                    .append(quote(e.getKey()))
                    .append(": ")
                    .append(quote(e.getValue()))
                    .append(++n < weightMap.size() ? ",\n" : "\n");
        }
        return sb.append("  }\n}\n").toString();
    }

    private static String quote(String s) {
        try {
            return new ObjectMapper().writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot quote tensor name " + s, e);
        }
    }
}
