package dev.finetune.trainer.collective;

/**
 * A collective could not complete: a peer closed its connection, stopped answering, or called a different
 * collective. {@link #failedRank()} names the rank the failure is blamed on (-1 when none is known).
 * The collective is unusable afterwards; the training run fails and resumes from its last checkpoint.
 */
public final class CollectiveException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final int failedRank;

    public CollectiveException(int failedRank, String message, Throwable cause) {
        super(message, cause);
        this.failedRank = failedRank;
    }

    public CollectiveException(int failedRank, String message) {
        this(failedRank, message, null);
    }

    /** The rank that went away or misbehaved, or -1. */
    public int failedRank() {
        return failedRank;
    }
}
