package dev.finetune.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that talks HTTP to the Hub. It follows redirects itself so that the Bearer token is sent only
 * to the endpoint's own scheme/host/port (pre-signed CDN URLs get no token), retries 408/429/5xx and I/O errors
 * with {@link RetryPolicy}, and turns error responses into {@link HubAccessException}s via {@link HubErrors}.
 * Logged URLs carry no query string: pre-signed URLs hold credentials there.
 */
final class HubHttp {
    private static final Logger LOG = LoggerFactory.getLogger(HubHttp.class);
    private static final int MAX_REDIRECTS = 10;

    private final HubSettings settings;
    private final HttpClient client;
    private final URI endpoint;

    HubHttp(HubSettings settings) {
        this.settings = settings;
        this.endpoint = settings.endpointUri();
        this.client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.connectTimeout())
                .build();
    }

    HubSettings settings() {
        return settings;
    }

    /** One logical request: method, target, body, headers, and what it is about (for error messages). */
    static final class Call {
        final String method;
        final URI uri;
        final Supplier<HttpRequest.BodyPublisher> body;
        final Map<String, String> headers = new LinkedHashMap<>();
        HubErrors.Subject subject;
        boolean hubAuth = true;
        boolean followCrossHostRedirects = true;
        boolean retryOnlyRateLimit;
        Duration timeout;

        Call(String method, URI uri, Supplier<HttpRequest.BodyPublisher> body) {
            this.method = method;
            this.uri = uri;
            this.body = body;
        }

        static Call get(URI uri) {
            return new Call("GET", uri, null);
        }

        Call header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        Call about(HubErrors.Subject s) {
            this.subject = s;
            return this;
        }
    }

    /** Same scheme, host and port as HF_ENDPOINT: the only place our token may go. */
    boolean isHubOrigin(URI uri) {
        return endpoint.getScheme().equalsIgnoreCase(uri.getScheme())
                && endpoint.getHost().equalsIgnoreCase(uri.getHost())
                && port(endpoint) == port(uri);
    }

    private static int port(URI u) {
        if (u.getPort() != -1) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /**
     * What to do when the Hub cannot be reached: reads may come from the local cache instead (HF_HUB_OFFLINE=1
     * skips the network for files downloaded before); writes (push) need the network, and offline mode cannot help.
     */
    static String networkHint(String method) {
        if ("GET".equals(method) || "HEAD".equals(method)) {
            return "Check the network connection (and HTTPS_PROXY if you use a proxy); if the files were downloaded "
                    + "before, HF_HUB_OFFLINE=1 uses the local cache without the network.";
        }
        return "Uploading needs the network: check the connection (and HTTPS_PROXY if you use a proxy), then run "
                + "the push again.";
    }

    static String forLog(URI u) {
        return u.getScheme() + "://" + u.getAuthority() + u.getRawPath();
    }

    /**
     * Sends with retries and manual redirects. Returns a 2xx response (or, when cross-host redirects are not
     * followed, the redirect itself); the caller closes its body.
     */
    HttpResponse<InputStream> send(Call call) throws IOException {
        RetryPolicy retry = settings.retry();
        int attempts = retry.maxAttempts();
        IOException lastIo = null;
        for (int attempt = 1; ; attempt++) {
            HttpResponse<InputStream> resp;
            try {
                resp = sendFollowingRedirects(call);
            } catch (HubAccessException e) {
                throw e;
            } catch (IOException e) {
                lastIo = e;
                if (attempt >= attempts || call.retryOnlyRateLimit) {
                    throw new HubAccessException(
                            HubAccessException.Kind.UNAVAILABLE,
                            0,
                            call.method + " "
                                    + forLog(call.uri) + " failed after " + attempt + " attempt(s): "
                                    + scrub(e.toString())
                                    + ". " + networkHint(call.method),
                            lastIo);
                }
                sleep(retry.backoff(attempt, Optional.empty()), call, attempt, scrub(e.toString()));
                continue;
            }
            int status = resp.statusCode();
            if (status / 100 == 2 || (status / 100 == 3 && !call.followCrossHostRedirects)) {
                return resp;
            }
            boolean retryable = call.retryOnlyRateLimit ? status == 429 : RetryPolicy.retryableStatus(status);
            if (retryable && attempt < attempts) {
                drain(resp);
                sleep(
                        retry.backoff(attempt, resp.headers().firstValue("Retry-After")),
                        call,
                        attempt,
                        "HTTP " + status);
                continue;
            }
            throw HubErrors.toException(resp, call, settings, attempt, isHubOrigin(call.uri));
        }
    }

    private HttpResponse<InputStream> sendFollowingRedirects(Call call) throws IOException {
        URI uri = call.uri;
        String method = call.method;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder rb = HttpRequest.newBuilder(uri);
            Duration t = call.timeout != null ? call.timeout : settings.requestTimeout();
            if (!t.isZero()) {
                rb.timeout(t);
            }
            for (Map.Entry<String, String> h : call.headers.entrySet()) {
                rb.header(h.getKey(), h.getValue());
            }
            boolean sameOrigin = isHubOrigin(uri);
            if (call.hubAuth && sameOrigin && settings.token() != null) {
                rb.header("Authorization", settings.token().bearerHeader());
            }
            if (!call.headers.containsKey("User-Agent")) {
                rb.header("User-Agent", "finetune-java/0.1");
            }
            HttpRequest.BodyPublisher bp = call.body == null || method.equals("GET") || method.equals("HEAD")
                    ? HttpRequest.BodyPublishers.noBody()
                    : call.body.get();
            rb.method(method, bp);
            HttpResponse<InputStream> resp;
            try {
                resp = client.send(rb.build(), IdleTimeoutBody.handler(settings.requestTimeout()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted during " + method + " " + forLog(uri));
            }
            int status = resp.statusCode();
            Optional<String> location = resp.headers().firstValue("Location");
            if (!isRedirect(status) || location.isEmpty()) {
                return resp;
            }
            URI next = uri.resolve(location.get().trim());
            if (!call.followCrossHostRedirects && !isHubOrigin(next)) {
                return resp; // the caller reads metadata from the redirect itself
            }
            drain(resp);
            if (hop >= MAX_REDIRECTS) {
                throw new HubAccessException(
                        HubAccessException.Kind.BAD_REQUEST,
                        status,
                        "more than " + MAX_REDIRECTS + " redirects starting at " + forLog(call.uri));
            }
            LOG.debug("{} {} -> redirect {} to {}", method, forLog(uri), status, forLog(next));
            if (status == 303) {
                method = "GET";
            }
            uri = next;
        }
    }

    static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private void sleep(Duration d, Call call, int attempt, String why) throws IOException {
        LOG.warn(
                "{} {} attempt {} failed ({}); retrying in {} ms",
                call.method,
                forLog(call.uri),
                attempt,
                why,
                d.toMillis());
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to retry " + forLog(call.uri));
        }
    }

    static void drain(HttpResponse<InputStream> resp) {
        try (InputStream in = resp.body()) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // the connection is dropped; nothing to recover
        }
    }

    /** Removes the token from text that may echo a request (exception strings from the JDK do not, but be sure). */
    String scrub(String text) {
        HfToken token = settings.token();
        if (token != null && token.occursIn(text)) {
            return "<message withheld: it contained the token>";
        }
        return text;
    }
}
