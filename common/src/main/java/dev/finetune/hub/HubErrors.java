package dev.finetune.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.hub.HubAccessException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/** Maps Hub error responses (status + X-Error-Code, as huggingface_hub's hf_raise_for_status) to messages. */
final class HubErrors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LOGIN = "set HF_TOKEN or run `huggingface-cli login`";

    private HubErrors() {}

    /** What a request was about: names the repo / revision / file in messages. */
    static final class Subject {
        final HubRepo repo;
        final String revision;
        final String path;

        Subject(HubRepo repo, String revision, String path) {
            this.repo = repo;
            this.revision = revision;
            this.path = path;
        }

        String describe() {
            StringBuilder b = new StringBuilder(repo == null ? "the Hub" : repo.toString());
            if (path != null) {
                b.insert(0, "file '" + path + "' of ");
            }
            if (revision != null) {
                b.append(" at revision '").append(revision).append('\'');
            }
            return b.toString();
        }
    }

    static HubAccessException toException(
            HttpResponse<InputStream> resp, HubHttp.Call call, HubSettings settings, int attempts, boolean hubOrigin) {
        int status = resp.statusCode();
        if (!hubOrigin && status / 100 == 4) {
            // a pre-signed storage URL (CDN, S3) refused us: our token was never involved
            String host = call.uri.getHost();
            return new HubAccessException(
                    status == 403 ? Kind.FORBIDDEN : Kind.BAD_REQUEST,
                    status,
                    "the storage host "
                            + host + " refused " + call.method + " " + HubHttp.forLog(call.uri) + " (HTTP " + status
                            + ") for "
                            + (call.subject == null ? "a transfer" : call.subject.describe())
                            + "; the pre-signed URL may have expired: retry the operation");
        }
        String code = resp.headers().firstValue("X-Error-Code").orElse("");
        String serverMessage = serverMessage(resp);
        HubErrors.Subject s = call.subject != null ? call.subject : new Subject(null, null, null);
        String what = s.describe();
        String page = s.repo == null ? settings.endpoint() : s.repo.webUrl(settings.endpoint());
        boolean tokenSet = settings.hasToken();
        String detail = serverMessage.isEmpty() ? "" : " (server said: " + scrub(serverMessage, settings) + ")";

        if (code.equals("GatedRepo")) {
            return new HubAccessException(
                    Kind.GATED,
                    status,
                    what + " is gated: accept the conditions at " + page + " and use a token with access"
                            + (tokenSet ? "" : "; no token is set: " + LOGIN) + detail);
        }
        if (serverMessage.contains("Access to this resource is disabled")) {
            return new HubAccessException(Kind.FORBIDDEN, status, s.repo + " has been disabled on the Hub" + detail);
        }
        if (code.equals("RevisionNotFound")) {
            return new HubAccessException(
                    Kind.REVISION_NOT_FOUND,
                    status,
                    "revision '" + s.revision + "' does not exist in " + s.repo
                            + "; check the branch, tag or commit name" + detail);
        }
        if (code.equals("EntryNotFound")) {
            return new HubAccessException(
                    Kind.ENTRY_NOT_FOUND,
                    status,
                    "file '" + s.path + "' does not exist in " + s.repo + " at revision '" + s.revision + "'" + detail);
        }
        if (status == 401) {
            if (serverMessage.contains("Invalid credentials")) {
                return new HubAccessException(
                        Kind.UNAUTHORIZED,
                        status,
                        "the Hugging Face token was rejected as invalid" + " while accessing " + what
                                + ": create a new token and " + LOGIN);
            }
            return new HubAccessException(
                    Kind.UNAUTHORIZED,
                    status,
                    what + ": repository is private or does not exist"
                            + (tokenSet
                                    ? ", or the token is invalid or cannot read it"
                                    : ", and no token is set: " + LOGIN)
                            + detail);
        }
        if (code.equals("RepoNotFound") || (status == 404 && s.path == null && s.revision == null)) {
            return new HubAccessException(
                    Kind.REPO_NOT_FOUND,
                    status,
                    "repository " + s.repo + " does not exist on "
                            + settings.endpoint() + " (or it is private and "
                            + (tokenSet ? "the token cannot see it)" : "no token" + " is set: " + LOGIN + ")")
                            + detail);
        }
        if (status == 403) {
            return new HubAccessException(
                    Kind.FORBIDDEN,
                    status,
                    "the token is not allowed to " + verb(call) + " "
                            + what
                            + (call.method.equals("GET") || call.method.equals("HEAD")
                                    ? ""
                                    : "; pushing needs a token with write access")
                            + detail);
        }
        if (status == 404) {
            return new HubAccessException(Kind.ENTRY_NOT_FOUND, status, what + " was not found" + detail);
        }
        if (status == 429) {
            return new HubAccessException(
                    Kind.RATE_LIMITED,
                    status,
                    "the Hub rate-limited " + what + " (HTTP 429) after "
                            + attempts + " attempt(s); wait a few minutes"
                            + (tokenSet ? "" : " or use a token (limits are higher)")
                            + detail);
        }
        if (status >= 500) {
            return new HubAccessException(
                    Kind.UNAVAILABLE,
                    status,
                    "the Hub failed (HTTP " + status + ") for " + what + " after " + attempts
                            + " attempt(s); try again later" + detail);
        }
        return new HubAccessException(
                Kind.BAD_REQUEST,
                status,
                "the Hub refused " + verb(call) + " " + what + " (HTTP " + status + ")" + detail);
    }

    private static String verb(HubHttp.Call call) {
        return call.method.equals("GET") || call.method.equals("HEAD") ? "read" : "write to";
    }

    private static String scrub(String text, HubSettings settings) {
        HfToken t = settings.token();
        return t != null && t.occursIn(text) ? "<withheld>" : text;
    }

    /** X-Error-Message, else the JSON body's "error", else a short plain body. */
    private static String serverMessage(HttpResponse<InputStream> resp) {
        String header = resp.headers().firstValue("X-Error-Message").orElse(null);
        String body = "";
        try (InputStream in = resp.body()) {
            body = new String(in.readNBytes(4096), StandardCharsets.UTF_8).trim();
        } catch (IOException ignored) {
            // a body we cannot read adds nothing to the message
        }
        if (header != null && !header.isEmpty()) {
            return header;
        }
        if (body.startsWith("{")) {
            try {
                JsonNode n = JSON.readTree(body);
                if (n.hasNonNull("error")) {
                    return n.get("error").asText();
                }
            } catch (IOException ignored) {
                // not JSON after all
            }
        }
        return body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }
}
