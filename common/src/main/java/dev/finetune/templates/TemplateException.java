package dev.finetune.templates;

/** A template that cannot be parsed or rendered; the message names the template line and what went wrong. */
public class TemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TemplateException(String message) {
        super(message);
    }

    public TemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
