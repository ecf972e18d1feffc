package dev.finetune.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What tokenizer_config.json (and a chat_template.jinja beside it) says: special token strings, whether a BOS
 * is added, and the chat template. Tokens may be written as plain strings or as AddedToken objects
 * ({@code {"content": "<|im_end|>", ...}}).
 */
public final class TokenizerFiles {
    public static final String TOKENIZER_JSON = "tokenizer.json";
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String CHAT_TEMPLATE_FILE = "chat_template.jinja";

    /** Special token strings, null where the config has none. */
    public final String eosToken;

    public final String bosToken;
    public final String padToken;
    public final boolean addBosToken;
    /** The default chat template, or null when the tokenizer has none. */
    public final String chatTemplate;

    private TokenizerFiles(String eos, String bos, String pad, boolean addBos, String template) {
        this.eosToken = eos;
        this.bosToken = bos;
        this.padToken = pad;
        this.addBosToken = addBos;
        this.chatTemplate = template;
    }

    /** Reads {@code dir/tokenizer_config.json} (optional) and {@code dir/chat_template.jinja} (optional). */
    public static TokenizerFiles read(Path dir) throws IOException {
        Path configFile = dir.resolve(TOKENIZER_CONFIG);
        JsonNode config = Files.exists(configFile)
                ? new ObjectMapper().readTree(configFile.toFile())
                : new ObjectMapper().createObjectNode();
        if (!config.isObject()) {
            throw new IOException(configFile + ": expected a JSON object");
        }
        String template = null;
        Path templateFile = dir.resolve(CHAT_TEMPLATE_FILE);
        if (Files.exists(templateFile)) {
            // transformers ≥ 4.43 saves the template here and prefers it over the config's copy
            template = new String(Files.readAllBytes(templateFile), StandardCharsets.UTF_8);
        } else {
            template = chatTemplate(config.get("chat_template"), configFile);
        }
        return new TokenizerFiles(
                token(config, "eos_token", configFile),
                token(config, "bos_token", configFile),
                token(config, "pad_token", configFile),
                config.path("add_bos_token").asBoolean(false),
                template);
    }

    private static String token(JsonNode config, String key, Path file) throws IOException {
        JsonNode n = config.get(key);
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isObject() && n.path("content").isTextual()) {
            return n.get("content").asText();
        }
        throw new IOException(file + ": " + key + " must be a string or an object with \"content\", found " + n);
    }

    /** A string, or a list of {name, template} of which the one named "default" (else the first) is used. */
    private static String chatTemplate(JsonNode n, Path file) throws IOException {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isArray() && n.size() > 0) {
            for (JsonNode t : n) {
                if ("default".equals(t.path("name").asText())) {
                    return t.path("template").asText();
                }
            }
            return n.get(0).path("template").asText();
        }
        throw new IOException(
                file + ": chat_template must be a string or a list of {name, template}, found " + n.getNodeType());
    }
}
