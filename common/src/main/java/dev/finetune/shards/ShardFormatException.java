package dev.finetune.shards;

import java.io.IOException;

/** A shard file or output directory that does not follow SHARD-FORMAT.md; the message names the file. */
public class ShardFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public ShardFormatException(String message) {
        super(message);
    }
}
