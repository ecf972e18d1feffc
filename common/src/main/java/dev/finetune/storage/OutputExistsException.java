package dev.finetune.storage;

import java.io.IOException;

/** A complete output is already there and overwriting was not asked for. */
public final class OutputExistsException extends IOException {
    private static final long serialVersionUID = 1L;

    OutputExistsException(String message) {
        super(message);
    }
}
