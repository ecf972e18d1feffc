package dev.finetune.app.cli;

/** A step whose implementation is not part of this build; Main reports it and exits 3. */
final class UnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnavailableException(String message) {
        super(message);
    }
}
