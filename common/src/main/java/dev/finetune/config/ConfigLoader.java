package dev.finetune.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds a {@link RunConfig}: defaults, then a YAML file, then command-line overrides, then validation. Every
 * error names where the bad value came from (the file or the flag), the key and the value.
 */
public final class ConfigLoader {

    /** Keys people try to put a token under; refused with a pointer to HF_TOKEN. */
    private static final List<String> TOKEN_KEYS =
            Arrays.asList("hf_token", "token", "hub_token", "huggingface_token", "use_auth_token");

    private static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION))
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private ConfigLoader() {}

    /** The YAML mapper RunConfig is bound with (snake_case, unknown keys fail). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * @param file a YAML config, or null for defaults only
     * @param overrides snake_case key → value as typed on the command line (lists comma-separated), in order
     * @return the validated config
     * @throws ConfigException naming the file or flag, key and value of the first kind of mistake found
     */
    public static RunConfig load(Path file, Map<String, String> overrides) {
        ObjectNode tree = file == null ? JsonNodeFactory.instance.objectNode() : readTree(file);
        return resolve(tree, file == null ? "defaults" : file.toString(), overrides);
    }

    /**
     * Like {@link #load(Path, Map)} for a location that may also be a Hadoop URI (gs://bucket/conf/x.yaml on
     * Dataproc, hdfs://...): those are read through Hadoop's FileSystem.
     */
    public static RunConfig loadFrom(String location, Map<String, String> overrides) {
        if (location == null || !location.matches("[A-Za-z][A-Za-z0-9+.-]*://.*") || location.startsWith("file://")) {
            return load(location == null ? null : Paths.get(location.replaceFirst("^file://", "")), overrides);
        }
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(location);
        try (InputStream in =
                p.getFileSystem(new org.apache.hadoop.conf.Configuration()).open(p)) {
            JsonNode node = MAPPER.readTree(in);
            if (node != null && !node.isNull() && !(node instanceof ObjectNode)) {
                throw new ConfigException(location + " must be a mapping of key: value lines");
            }
            ObjectNode tree = node instanceof ObjectNode ? (ObjectNode) node : JsonNodeFactory.instance.objectNode();
            return resolve(tree, location, overrides);
        } catch (JsonProcessingException e) {
            throw notYaml(location, e);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + location + ": " + e.getMessage(), e);
        }
    }

    /** Reads a config shipped as a classpath resource (the demo's), with overrides; same checks as a file. */
    public static RunConfig loadResource(String resource, Map<String, String> overrides) {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            JsonNode node = MAPPER.readTree(in);
            ObjectNode tree = node instanceof ObjectNode ? (ObjectNode) node : JsonNodeFactory.instance.objectNode();
            return resolve(tree, resource, overrides);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    private static RunConfig resolve(ObjectNode tree, String origin, Map<String, String> overrides) {
        checkKeys(tree, origin);
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            ConfigSchema.Key key = ConfigSchema.get().key(e.getKey());
            tree.set(key.name, parseFlagValue(key, e.getValue()));
        }
        RunConfig config = bind(tree, origin);
        config.validate();
        return config;
    }

    /** The resolved config as YAML, every key included; safe to print and to store (holds no token). */
    public static String toYaml(RunConfig config) {
        try {
            return MAPPER.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The resolved config as an ordered map (for manifests and model cards). */
    public static Map<String, Object> toMap(RunConfig config) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (ConfigSchema.Key k : ConfigSchema.get().keys()) {
            out.put(k.name, k.get(config));
        }
        return out;
    }

    private static ObjectNode readTree(Path file) {
        JsonNode node;
        try (InputStream in = Files.newInputStream(file)) {
            node = MAPPER.readTree(in);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist (presets are in conf/)");
        } catch (JsonProcessingException e) {
            throw notYaml(file.toString(), e);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        if (node == null || node.isMissingNode() || node.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!(node instanceof ObjectNode)) {
            throw new ConfigException(file + " must be a mapping of key: value lines (like conf/demo.yaml), " + "found "
                    + node.getNodeType().toString().toLowerCase(Locale.ROOT));
        }
        return (ObjectNode) node;
    }

    /** A parse failure as one line naming the file and line; a key given twice gets its own message. */
    private static ConfigException notYaml(String origin, JsonProcessingException e) {
        String line = e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : "";
        java.util.regex.Matcher dup = java.util.regex.Pattern.compile("^Duplicate field '(.*)'")
                .matcher(String.valueOf(e.getOriginalMessage()));
        if (dup.find()) {
            return new ConfigException(
                    "key '" + dup.group(1) + "' appears twice in " + origin + line
                            + "; keep one of them (a second one would silently win)",
                    e);
        }
        return new ConfigException(origin + " is not valid YAML: " + e.getOriginalMessage() + line, e);
    }

    private static void checkKeys(ObjectNode tree, String origin) {
        Iterator<String> names = tree.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (TOKEN_KEYS.contains(name.toLowerCase(Locale.ROOT))) {
                throw new ConfigException("'" + name + "' in " + origin + ": a Hugging Face token is never read "
                        + "from a config file (it would leak into logs and checkpoints); remove it and set the "
                        + "HF_TOKEN environment variable or run `huggingface-cli login`");
            }
            if (!ConfigSchema.get().has(name)) {
                throw new ConfigException("unknown key '" + name + "' in " + origin
                        + ConfigSchema.suggestion(name, ConfigSchema.get().names())
                        + " (all keys: README.md, Configuration reference)");
            }
        }
    }

    private static JsonNode parseFlagValue(ConfigSchema.Key key, String value) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        String v = value.trim();
        String flag = "--" + key.flag;
        try {
            if (key.isBoolean()) {
                switch (v.toLowerCase(Locale.ROOT)) {
                    case "true":
                    case "yes":
                    case "1":
                    case "":
                        return f.booleanNode(true);
                    case "false":
                    case "no":
                    case "0":
                        return f.booleanNode(false);
                    default:
                        throw new ConfigException(flag + " takes true or false, got '" + value + "'");
                }
            } else if (key.type() == int.class) {
                return f.numberNode(Integer.parseInt(v));
            } else if (key.type() == long.class) {
                return f.numberNode(Long.parseLong(v));
            } else if (key.type() == double.class) {
                return f.numberNode(Double.parseDouble(v));
            } else if (key.isList()) {
                ArrayNode arr = f.arrayNode();
                if (!v.isEmpty()) {
                    for (String part : v.split(",")) {
                        arr.add(part.trim());
                    }
                }
                return arr;
            }
        } catch (NumberFormatException e) {
            throw new ConfigException(flag + " takes " + (key.type() == double.class ? "a number" : "an integer")
                    + ", got '" + value + "'");
        }
        return v.isEmpty() ? f.nullNode() : f.textNode(value);
    }

    private static RunConfig bind(ObjectNode tree, String origin) {
        try {
            return MAPPER.treeToValue(tree, RunConfig.class);
        } catch (JsonMappingException e) {
            String key = e.getPath().isEmpty() ? "?" : e.getPath().get(0).getFieldName();
            JsonNode value = key == null ? null : tree.get(key);
            String expected = "a value of the right kind";
            if (key != null && ConfigSchema.get().has(key)) {
                ConfigSchema.Key k = ConfigSchema.get().key(key);
                expected = k.isBoolean()
                        ? "true or false"
                        : k.type() == int.class || k.type() == long.class
                                ? "an integer"
                                : k.type() == double.class
                                        ? "a number"
                                        : k.isList() ? "a list (e.g. [q_proj, v_proj])" : "text";
            }
            throw new ConfigException(origin + ": " + key + " = " + value + " is not valid; expected " + expected, e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(origin + ": " + e.getOriginalMessage(), e);
        }
    }
}
