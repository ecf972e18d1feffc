package dev.finetune.templates;

/** The template itself refused the input through {@code raise_exception(message)}. */
public final class TemplateRaisedException extends TemplateException {
    private static final long serialVersionUID = 1L;

    public TemplateRaisedException(String message) {
        super("the chat template refused this conversation: " + message);
    }
}
