package dev.finetune.trainer.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.trainer.model.Projection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The hyperparameters of a LoRA adapter, as in peft's {@code LoraConfig} / {@code adapter_config.json}.
 * Only plain LoRA is supported: DoRA, per-module rank/alpha patterns, bias training and modules_to_save
 * are refused by name.
 */
public final class LoraSettings {
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String ALL_LINEAR = "all-linear";

    /** Rank r (peft default 8). */
    public final int r;
    /** lora_alpha (peft default 8). */
    public final double alpha;
    /** Dropout on the LoRA branch input in training (peft default 0). */
    public final double dropout;
    /** Scale by alpha/sqrt(r) instead of alpha/r (rsLoRA). */
    public final boolean useRslora;
    /** peft's target_modules: projection names, or the single string "all-linear" or a regex. */
    public final List<String> targetModules;

    private final Pattern regex;

    public LoraSettings(int r, double alpha, double dropout, boolean useRslora, List<String> targetModules) {
        this(r, alpha, dropout, useRslora, targetModules, null);
    }

    private LoraSettings(int r, double alpha, double dropout, boolean useRslora, List<String> targets, Pattern regex) {
        this.r = r;
        this.alpha = alpha;
        this.dropout = dropout;
        this.useRslora = useRslora;
        this.targetModules = Collections.unmodifiableList(new ArrayList<>(targets));
        this.regex = regex;
        validate();
    }

    /** Checks every field; names the option, the value and the allowed range. */
    public void validate() {
        if (r < 1 || r > 4096) {
            throw new IllegalArgumentException("lora r = " + r + "; allowed 1..4096");
        }
        if (!(alpha > 0)) {
            throw new IllegalArgumentException("lora_alpha = " + alpha + "; must be > 0");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora_dropout = " + dropout + "; allowed [0, 1)");
        }
        if (regex == null) {
            for (String t : targetModules) {
                if (!t.equals(ALL_LINEAR) && !Projection.names().contains(t)) {
                    throw new IllegalArgumentException("target_modules entry '" + t + "' is not supported; use "
                            + ALL_LINEAR + " or any of " + Projection.names());
                }
            }
            if (targetModules.isEmpty()) {
                throw new IllegalArgumentException(
                        "target_modules is empty; use " + ALL_LINEAR + " or any of " + Projection.names());
            }
        }
    }

    /** alpha / r, or alpha / sqrt(r) with rsLoRA. */
    public float scaling() {
        return (float) (useRslora ? alpha / Math.sqrt(r) : alpha / r);
    }

    /** Whether peft would put LoRA on this projection of this layer. */
    public boolean targets(int layer, String projection) {
        if (regex != null) {
            return regex.matcher(PeftKeys.moduleName(layer, projection)).matches();
        }
        return targetModules.contains(ALL_LINEAR) || targetModules.contains(projection);
    }

    /** Reads {@code dir/adapter_config.json}. */
    public static LoraSettings read(Path dir) throws IOException {
        Path p = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(p)) {
            throw new IOException(
                    dir + ": no " + CONFIG_FILE + "; an adapter folder is what peft's save_pretrained writes");
        }
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(p.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(
                    p + " is not valid JSON (" + e.getOriginalMessage().replace('\n', ' ')
                            + (e.getLocation() != null
                                    ? ", line " + e.getLocation().getLineNr()
                                    : "") + "): the adapter folder "
                            + "is damaged; copy it again, or save it again (train writes final/, peft writes save_pretrained)",
                    e);
        }
        if (!c.isObject()) {
            throw new IllegalArgumentException(
                    p + " holds no JSON object: the adapter folder is damaged; copy it " + "again, or save it again");
        }
        String where = p.toString();
        String type = c.path("peft_type").asText("LORA");
        if (!type.equals("LORA")) {
            throw new IllegalArgumentException(where + ": peft_type '" + type + "' is not supported; supported: LORA");
        }
        refuse(c, where, "use_dora", c.path("use_dora").asBoolean(false), "DoRA");
        refuse(c, where, "bias", !c.path("bias").asText("none").equals("none"), "training biases");
        refuse(c, where, "fan_in_fan_out", c.path("fan_in_fan_out").asBoolean(false), "Conv1D-style weights");
        refuse(c, where, "rank_pattern", c.path("rank_pattern").size() > 0, "per-module ranks");
        refuse(c, where, "alpha_pattern", c.path("alpha_pattern").size() > 0, "per-module alphas");
        refuse(c, where, "modules_to_save", c.path("modules_to_save").size() > 0, "fully trained modules");
        refuse(c, where, "layers_to_transform", c.hasNonNull("layers_to_transform"), "a subset of layers");
        JsonNode t = c.path("target_modules");
        List<String> targets = new ArrayList<>();
        Pattern regex = null;
        if (t.isArray()) {
            t.forEach(x -> targets.add(x.asText()));
        } else if (t.isTextual()) {
            targets.add(t.asText());
            if (!t.asText().equals(ALL_LINEAR)) {
                regex = Pattern.compile(t.asText());
            }
        } else {
            throw new IllegalArgumentException(where + ": target_modules must be a list or a string, got " + t);
        }
        return new LoraSettings(
                c.path("r").asInt(8),
                c.path("lora_alpha").asDouble(8),
                c.path("lora_dropout").asDouble(0),
                c.path("use_rslora").asBoolean(false),
                targets,
                regex);
    }

    private static void refuse(JsonNode c, String where, String key, boolean present, String what) {
        if (present) {
            throw new IllegalArgumentException(
                    where + ": " + key + " = " + c.path(key) + " asks for " + what + ", which is not supported");
        }
    }

    /** Writes {@code dir/adapter_config.json} with the fields peft reads (others take peft's defaults). */
    public void write(Path dir, String baseModelNameOrPath) throws IOException {
        ObjectMapper m = new ObjectMapper();
        ObjectNode c = m.createObjectNode();
        c.putObject("alpha_pattern");
        c.put("base_model_name_or_path", baseModelNameOrPath);
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        c.put("init_lora_weights", true);
        c.putNull("layers_pattern");
        c.putNull("layers_to_transform");
        if (alpha == Math.rint(alpha)) {
            c.put("lora_alpha", (long) alpha); // peft writes an int when the user gave one
        } else {
            c.put("lora_alpha", alpha);
        }
        c.put("lora_dropout", dropout);
        c.putNull("modules_to_save");
        c.put("peft_type", "LORA");
        c.put("r", r);
        c.putObject("rank_pattern");
        c.putNull("revision");
        if (regex != null || targetModules.contains(ALL_LINEAR)) {
            c.put("target_modules", targetModules.get(0));
        } else {
            ArrayNode a = c.putArray("target_modules");
            targetModules.forEach(a::add);
        }
        c.put("task_type", "CAUSAL_LM");
        c.put("use_dora", false);
        c.put("use_rslora", useRslora);
        Files.createDirectories(dir);
        m.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(CONFIG_FILE).toFile(), c);
    }
}
