package dev.finetune.hub;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Bounded exponential backoff with jitter, as huggingface_hub's http_backoff: retry 408, 429 and 5xx and I/O
 * errors; the delay doubles from {@code initialDelay} up to {@code maxDelay}; a server's Retry-After (seconds or
 * an HTTP date) wins when present, capped by {@code maxRetryAfter}.
 */
public final class RetryPolicy implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int maxAttempts;
    private final Duration initialDelay;
    private final Duration maxDelay;
    private final Duration maxRetryAfter;

    private RetryPolicy(int maxAttempts, Duration initialDelay, Duration maxDelay, Duration maxRetryAfter) {
        this.maxAttempts = maxAttempts;
        this.initialDelay = initialDelay;
        this.maxDelay = maxDelay;
        this.maxRetryAfter = maxRetryAfter;
    }

    /** 6 attempts (5 retries), 1 s doubling to 8 s, Retry-After honoured up to 5 minutes. */
    public static RetryPolicy defaults() {
        return of(6, Duration.ofSeconds(1), Duration.ofSeconds(8), Duration.ofMinutes(5));
    }

    /**
     * @param maxAttempts total tries per request, at least 1
     * @param initialDelay first backoff, positive
     * @param maxDelay cap of the exponential backoff, at least initialDelay
     * @param maxRetryAfter cap on a server-requested wait
     */
    public static RetryPolicy of(int maxAttempts, Duration initialDelay, Duration maxDelay, Duration maxRetryAfter) {
        if (maxAttempts < 1 || maxAttempts > 100) {
            throw new IllegalArgumentException("retry maxAttempts must be in [1, 100], got " + maxAttempts);
        }
        if (initialDelay.isNegative() || maxDelay.compareTo(initialDelay) < 0 || maxRetryAfter.isNegative()) {
            throw new IllegalArgumentException("retry delays must satisfy 0 <= initialDelay <= maxDelay and"
                    + " maxRetryAfter >= 0, got initialDelay=" + initialDelay + " maxDelay=" + maxDelay
                    + " maxRetryAfter=" + maxRetryAfter);
        }
        return new RetryPolicy(maxAttempts, initialDelay, maxDelay, maxRetryAfter);
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    static boolean retryableStatus(int status) {
        return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
    }

    /** Delay before attempt {@code attempt + 1} (attempt counts from 1); full jitter in [d/2, d]. */
    Duration backoff(int attempt, Optional<String> retryAfterHeader) {
        Optional<Duration> serverWait = retryAfterHeader.flatMap(RetryPolicy::parseRetryAfter);
        if (serverWait.isPresent()) {
            Duration w = serverWait.get();
            return w.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : w;
        }
        long base = initialDelay.toMillis() << Math.min(20, attempt - 1);
        long capped = Math.min(base, maxDelay.toMillis());
        long half = capped / 2;
        return Duration.ofMillis(
                half + (capped - half == 0 ? 0 : ThreadLocalRandom.current().nextLong(capped - half + 1)));
    }

    /** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
    static Optional<Duration> parseRetryAfter(String value) {
        String v = value.trim();
        try {
            long secs = Long.parseLong(v);
            return Optional.of(Duration.ofSeconds(Math.max(0, secs)));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME)
                        .toInstant();
                Duration d = Duration.between(Instant.now(), at);
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException notDate) {
                return Optional.empty();
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RetryPolicy)) {
            return false;
        }
        RetryPolicy r = (RetryPolicy) o;
        return maxAttempts == r.maxAttempts
                && initialDelay.equals(r.initialDelay)
                && maxDelay.equals(r.maxDelay)
                && maxRetryAfter.equals(r.maxRetryAfter);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(maxAttempts, initialDelay, maxDelay, maxRetryAfter);
    }

    @Override
    public String toString() {
        return "RetryPolicy{maxAttempts=" + maxAttempts + ", initialDelay=" + initialDelay + ", maxDelay=" + maxDelay
                + "}";
    }
}
