package dev.finetune.hub;

import java.io.IOException;

/**
 * A Hub request that failed for a reason the user can act on. {@link #kind()} says which; the message says what
 * to do. Messages never contain the token.
 */
public final class HubAccessException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why the Hub refused or could not serve. */
    public enum Kind {
        /** 401: missing, private, or the token is missing/invalid (the Hub does not say which). */
        UNAUTHORIZED,
        /** Gated repo: conditions not accepted, or the token lacks access. */
        GATED,
        /** 403 other than gated: token lacks the permission (e.g. a read token used to push). */
        FORBIDDEN,
        REPO_NOT_FOUND,
        REVISION_NOT_FOUND,
        ENTRY_NOT_FOUND,
        /** 429 after all retries. */
        RATE_LIMITED,
        /** 5xx or I/O failure after all retries. */
        UNAVAILABLE,
        /** 400/409/422 etc.: the request was wrong. */
        BAD_REQUEST,
        /** HF_HUB_OFFLINE=1 and the file is not in the cache. */
        OFFLINE_NOT_CACHED,
        /** Downloaded bytes do not match the size or sha256 the Hub announced. */
        INTEGRITY
    }

    private final Kind kind;
    private final int status;

    HubAccessException(Kind kind, int status, String message) {
        super(message);
        this.kind = kind;
        this.status = status;
    }

    HubAccessException(Kind kind, int status, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.status = status;
    }

    public Kind kind() {
        return kind;
    }

    /** HTTP status, or 0 when none was received. */
    public int status() {
        return status;
    }
}
