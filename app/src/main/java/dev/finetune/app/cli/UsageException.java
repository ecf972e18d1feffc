package dev.finetune.app.cli;

/** A command line the parser cannot accept; Main prints it with a pointer to --help and exits 2. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
