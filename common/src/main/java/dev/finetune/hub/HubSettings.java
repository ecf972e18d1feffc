package dev.finetune.hub;

import java.io.Serializable;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Where the Hub is, who we are and how hard to try: everything a {@link HubClient} needs, serializable so a
 * driver can hand it to executors. {@link #fromEnvironment} reads the same variables as huggingface_hub.
 */
public final class HubSettings implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    private final String endpoint;
    private final HfToken token; // null: anonymous
    private final String cacheDir;
    private final boolean offline;
    private final boolean disableSymlinks;
    private final RetryPolicy retry;
    private final Duration connectTimeout;
    private final Duration requestTimeout;

    private HubSettings(Builder b) {
        this.endpoint = b.endpoint;
        this.token = b.token;
        this.cacheDir = b.cacheDir.toString();
        this.offline = b.offline;
        this.disableSymlinks = b.disableSymlinks;
        this.retry = b.retry;
        this.connectTimeout = b.connectTimeout;
        this.requestTimeout = b.requestTimeout;
    }

    /** Settings from the process environment (HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE, ...). */
    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** Settings from the given environment map (tests pass their own). */
    public static HubSettings fromEnvironment(Map<String, String> env) {
        Builder b = builder();
        String ep = env.get("HF_ENDPOINT");
        if (ep != null && !ep.trim().isEmpty()) {
            b.endpoint(ep.trim());
        }
        b.token(HfToken.fromEnvironment(env).orElse(null));
        b.cacheDir(hubCache(env));
        b.offline(truthy(env.get("HF_HUB_OFFLINE")) || truthy(env.get("TRANSFORMERS_OFFLINE")));
        b.disableSymlinks(truthy(env.get("HF_HUB_DISABLE_SYMLINKS")));
        return b.build();
    }

    static Path hfHome(Map<String, String> env) {
        String home = env.get("HF_HOME");
        if (home != null && !home.isEmpty()) {
            return Path.of(home);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("huggingface");
    }

    static Path hubCache(Map<String, String> env) {
        for (String key : new String[] {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"}) {
            String v = env.get(key);
            if (v != null && !v.isEmpty()) {
                return Path.of(v);
            }
        }
        return hfHome(env).resolve("hub");
    }

    private static boolean truthy(String v) {
        if (v == null) {
            return false;
        }
        String s = v.trim().toLowerCase(java.util.Locale.ROOT);
        return s.equals("1") || s.equals("true") || s.equals("yes") || s.equals("on");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder initialised with these settings. */
    public Builder toBuilder() {
        return new Builder()
                .endpoint(endpoint)
                .token(token)
                .cacheDir(Path.of(cacheDir))
                .offline(offline)
                .disableSymlinks(disableSymlinks)
                .retry(retry)
                .connectTimeout(connectTimeout)
                .requestTimeout(requestTimeout);
    }

    public String endpoint() {
        return endpoint;
    }

    URI endpointUri() {
        return URI.create(endpoint);
    }

    /** Null when anonymous. */
    HfToken token() {
        return token;
    }

    public boolean hasToken() {
        return token != null;
    }

    public Path cacheDir() {
        return Path.of(cacheDir);
    }

    public boolean offline() {
        return offline;
    }

    public boolean disableSymlinks() {
        return disableSymlinks;
    }

    public RetryPolicy retry() {
        return retry;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof HubSettings)) {
            return false;
        }
        HubSettings h = (HubSettings) o;
        return endpoint.equals(h.endpoint)
                && java.util.Objects.equals(token, h.token)
                && cacheDir.equals(h.cacheDir)
                && offline == h.offline
                && disableSymlinks == h.disableSymlinks
                && retry.equals(h.retry)
                && connectTimeout.equals(h.connectTimeout)
                && requestTimeout.equals(h.requestTimeout);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(
                endpoint, token, cacheDir, offline, disableSymlinks, retry, connectTimeout, requestTimeout);
    }

    @Override
    public String toString() {
        return "HubSettings{endpoint=" + endpoint + ", token=" + (token == null ? "none" : "set") + ", cacheDir="
                + cacheDir + ", offline=" + offline + ", retry=" + retry + "}";
    }

    /** Builder with huggingface_hub's defaults. */
    public static final class Builder {
        private String endpoint = DEFAULT_ENDPOINT;
        private HfToken token;
        private Path cacheDir = hubCache(Map.of());
        private boolean offline;
        private boolean disableSymlinks;
        private RetryPolicy retry = RetryPolicy.defaults();
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration requestTimeout = Duration.ofSeconds(60);

        /** Hub base URL, e.g. https://huggingface.co (a trailing '/' is dropped). */
        public Builder endpoint(String v) {
            this.endpoint = v.endsWith("/") ? v.substring(0, v.length() - 1) : v;
            return this;
        }

        /** Null for anonymous access. */
        public Builder token(HfToken v) {
            this.token = v;
            return this;
        }

        /** The huggingface_hub cache root ($HF_HUB_CACHE, default $HF_HOME/hub). */
        public Builder cacheDir(Path v) {
            this.cacheDir = v;
            return this;
        }

        public Builder offline(boolean v) {
            this.offline = v;
            return this;
        }

        public Builder disableSymlinks(boolean v) {
            this.disableSymlinks = v;
            return this;
        }

        public Builder retry(RetryPolicy v) {
            this.retry = v;
            return this;
        }

        public Builder connectTimeout(Duration v) {
            this.connectTimeout = v;
            return this;
        }

        /** Time allowed until response headers arrive, and then between two pieces of a response body. */
        public Builder requestTimeout(Duration v) {
            this.requestTimeout = v;
            return this;
        }

        public HubSettings build() {
            URI uri;
            try {
                uri = URI.create(endpoint);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("HF_ENDPOINT '" + endpoint + "' is not a URL: " + e.getMessage(), e);
            }
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new IllegalArgumentException("HF_ENDPOINT '" + endpoint + "' must be an http(s) URL with a host,"
                        + " e.g. " + DEFAULT_ENDPOINT);
            }
            if (cacheDir == null) {
                throw new IllegalArgumentException("cacheDir must be set (HF_HUB_CACHE or HF_HOME)");
            }
            if (connectTimeout.isNegative()
                    || connectTimeout.isZero()
                    || requestTimeout.isNegative()
                    || requestTimeout.isZero()) {
                throw new IllegalArgumentException(
                        "timeouts must be positive, got connect=" + connectTimeout + " request=" + requestTimeout);
            }
            return new HubSettings(this);
        }
    }
}
