package dev.finetune.hub;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face access token. Its {@link #toString()} is redacted so it can never leak into a log line or an
 * exception message by accident; only {@link HubHttp} reads the value, to build the Authorization header.
 */
public final class HfToken implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String value;

    private HfToken(String value) {
        this.value = value;
    }

    /** Wraps a token; blank values are rejected. */
    public static HfToken of(String value) {
        if (value == null || value.trim().isEmpty()) {
            throw new IllegalArgumentException("empty Hugging Face token; set HF_TOKEN or run `huggingface-cli login`");
        }
        return new HfToken(value.trim());
    }

    /**
     * The token huggingface_hub would use: env HF_TOKEN, then HUGGING_FACE_HUB_TOKEN, then the file
     * HF_TOKEN_PATH or {@code $HF_HOME/token} (HF_HOME defaults to ~/.cache/huggingface).
     */
    public static Optional<HfToken> fromEnvironment(Map<String, String> env) {
        for (String key : new String[] {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"}) {
            String v = env.get(key);
            if (v != null && !v.trim().isEmpty()) {
                return Optional.of(new HfToken(v.trim()));
            }
        }
        String explicit = env.get("HF_TOKEN_PATH");
        Path file = explicit != null && !explicit.isEmpty()
                ? Path.of(explicit)
                : HubSettings.hfHome(env).resolve("token");
        if (Files.isRegularFile(file)) {
            try {
                String v = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
                return v.isEmpty() ? Optional.empty() : Optional.of(new HfToken(v));
            } catch (IOException e) {
                throw new IllegalStateException(
                        "cannot read the Hugging Face token file " + file + ": " + e.getMessage(), e);
            }
        }
        return Optional.empty();
    }

    /**
     * The secret itself, for handing to a child process through its environment (never its arguments, a log or a
     * file).
     */
    public String reveal() {
        return value;
    }

    String bearerHeader() {
        return "Bearer " + value;
    }

    /** For scrubbing: true when {@code text} contains the secret. */
    boolean occursIn(String text) {
        return text != null && text.contains(value);
    }

    @Override
    public String toString() {
        return "HfToken[redacted]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HfToken && ((HfToken) o).value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}
