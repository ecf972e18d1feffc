package dev.finetune.config;

/**
 * A mistake in what the user wrote (a config file or a flag). The message alone tells them what to change; the
 * CLI prints it without a stack trace.
 */
public class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
