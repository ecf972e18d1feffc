package dev.finetune.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.hub.HubAccessException.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes a folder as one commit through the Hub's HTTP commit API (docs/formats.md): preupload decides
 * lfs vs regular, LFS bytes go to the pre-signed URLs the batch API returns (with only the headers it gives,
 * never our token), then one NDJSON commit. The commit itself is retried only on 429, since a lost response
 * to a processed commit must not be replayed.
 */
final class HubUploader {
    private static final Logger LOG = LoggerFactory.getLogger(HubUploader.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LFS_JSON = "application/vnd.git-lfs+json";
    private static final int CHUNK = 256;
    private static final Set<String> RESTRICTED = Set.of("content-length", "host", "connection", "expect", "upgrade");

    private final HubHttp http;

    HubUploader(HubHttp http) {
        this.http = http;
    }

    /** Creates the repo; an existing one (409) is fine. */
    void createRepo(HubRepo repo, boolean privateRepo) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("name", repo.name());
        body.put("organization", repo.namespace());
        body.put("type", repo.type().apiName());
        body.put("private", privateRepo);
        for (int attempt = 1; ; attempt++) {
            try {
                HttpResponse<InputStream> r = http.send(jsonCall(
                        "POST", URI.create(http.settings().endpoint() + "/api/repos/create"), body, repo, null));
                HubHttp.drain(r);
                LOG.info("created {} ({})", repo, privateRepo ? "private" : "public");
                return;
            } catch (HubAccessException e) {
                if (e.status() != 409) {
                    throw e;
                }
                if (!e.getMessage().contains("conflicting operation")
                        || attempt >= http.settings().retry().maxAttempts()) {
                    LOG.info("{} already exists", repo);
                    return;
                }
                sleep(http.settings().retry().backoff(attempt, java.util.Optional.empty()));
            }
        }
    }

    CommitResult uploadFolder(HubRepo repo, java.nio.file.Path folder, String revision, String message)
            throws IOException {
        List<LocalUpload> local = LocalUpload.scan(folder);
        List<LocalUpload> lfs = new ArrayList<>();
        List<LocalUpload> regular = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        for (int i = 0; i < local.size(); i += CHUNK) {
            preupload(repo, revision, local.subList(i, Math.min(local.size(), i + CHUNK)), lfs, regular, unchanged);
        }
        List<String> uploaded = new ArrayList<>();
        if (lfs.isEmpty() && regular.isEmpty()) {
            LOG.info("nothing to push to {}: all {} files are unchanged", repo, unchanged.size());
            return new CommitResult(null, null, uploaded, unchanged);
        }
        for (int i = 0; i < lfs.size(); i += CHUNK) {
            uploadLfs(repo, revision, lfs.subList(i, Math.min(lfs.size(), i + CHUNK)));
        }
        ByteArrayOutputStream ndjson = new ByteArrayOutputStream();
        ObjectNode header = JSON.createObjectNode();
        header.put("key", "header");
        header.putObject("value").put("summary", message).put("description", "");
        line(ndjson, header);
        for (LocalUpload f : regular) {
            ObjectNode n = JSON.createObjectNode();
            n.put("key", "file");
            n.putObject("value")
                    .put("content", Base64.getEncoder().encodeToString(Files.readAllBytes(f.file)))
                    .put("path", f.repoPath)
                    .put("encoding", "base64");
            line(ndjson, n);
            uploaded.add(f.repoPath);
        }
        for (LocalUpload f : lfs) {
            ObjectNode n = JSON.createObjectNode();
            n.put("key", "lfsFile");
            n.putObject("value")
                    .put("path", f.repoPath)
                    .put("algo", "sha256")
                    .put("oid", f.sha256())
                    .put("size", f.size);
            line(ndjson, n);
            uploaded.add(f.repoPath);
        }
        byte[] payload = ndjson.toByteArray();
        HubHttp.Call commit = new HubHttp.Call(
                        "POST",
                        HubUrls.api(http.settings().endpoint(), repo, "/commit/" + HubUrls.segment(revision)),
                        () -> HttpRequest.BodyPublishers.ofByteArray(payload))
                .header("Content-Type", "application/x-ndjson")
                .about(new HubErrors.Subject(repo, revision, null));
        commit.retryOnlyRateLimit = true;
        commit.timeout = Duration.ofMinutes(10);
        JsonNode resp = readJson(http.send(commit));
        LOG.info("pushed {} files to {} at {}", uploaded.size(), repo, revision);
        return new CommitResult(
                resp.path("commitUrl").asText(null), resp.path("commitOid").asText(null), uploaded, unchanged);
    }

    private void preupload(
            HubRepo repo,
            String revision,
            List<LocalUpload> files,
            List<LocalUpload> lfs,
            List<LocalUpload> regular,
            List<String> unchanged)
            throws IOException {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode arr = body.putArray("files");
        Map<String, LocalUpload> byPath = new HashMap<>();
        for (LocalUpload f : files) {
            arr.addObject()
                    .put("path", f.repoPath)
                    .put("sample", Base64.getEncoder().encodeToString(f.sample()))
                    .put("size", f.size);
            byPath.put(f.repoPath, f);
        }
        JsonNode resp = readJson(http.send(jsonCall(
                "POST",
                HubUrls.api(http.settings().endpoint(), repo, "/preupload/" + HubUrls.segment(revision)),
                body,
                repo,
                revision)));
        for (JsonNode n : resp.path("files")) {
            LocalUpload f = byPath.remove(n.path("path").asText());
            if (f == null || n.path("shouldIgnore").asBoolean(false)) {
                continue;
            }
            boolean isLfs = "lfs".equals(n.path("uploadMode").asText()) && f.size > 0;
            String remoteOid = n.path("oid").asText(null);
            if (remoteOid != null && remoteOid.equalsIgnoreCase(isLfs ? f.sha256() : f.gitSha1())) {
                unchanged.add(f.repoPath);
            } else {
                (isLfs ? lfs : regular).add(f);
            }
        }
        if (!byPath.isEmpty()) {
            throw new HubAccessException(
                    Kind.BAD_REQUEST,
                    200,
                    "the Hub's preupload answer for " + repo + " did not mention " + byPath.keySet());
        }
    }

    private void uploadLfs(HubRepo repo, String revision, List<LocalUpload> files) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("operation", "upload");
        body.putArray("transfers").add("basic").add("multipart");
        ArrayNode objects = body.putArray("objects");
        Map<String, LocalUpload> byOid = new HashMap<>();
        for (LocalUpload f : files) {
            objects.addObject().put("oid", f.sha256()).put("size", f.size);
            byOid.put(f.sha256(), f);
        }
        body.put("hash_algo", "sha256");
        body.putObject("ref").put("name", revision);
        URI batch = URI.create(
                http.settings().endpoint() + "/" + repo.type().urlPrefix() + repo.id() + ".git/info/lfs/objects/batch");
        HubHttp.Call call = jsonCall("POST", batch, body, repo, revision)
                .header("Accept", LFS_JSON)
                .header("Content-Type", LFS_JSON);
        JsonNode resp = readJson(http.send(call));
        for (JsonNode o : resp.path("objects")) {
            LocalUpload f = byOid.get(o.path("oid").asText());
            if (f == null) {
                continue;
            }
            if (o.has("error")) {
                throw new HubAccessException(
                        Kind.BAD_REQUEST,
                        o.path("error").path("code").asInt(0),
                        "the Hub refused" + " the LFS upload of '" + f.repoPath + "': "
                                + o.path("error").path("message").asText());
            }
            JsonNode upload = o.path("actions").path("upload");
            if (upload.isMissingNode()) {
                LOG.info("{} is already stored on the Hub", f.repoPath);
                continue;
            }
            if (upload.path("header").has("chunk_size")) {
                multipart(f, upload);
            } else {
                put(f, URI.create(upload.path("href").asText()), upload.path("header"), 0, f.size);
            }
            JsonNode verify = o.path("actions").path("verify");
            if (!verify.isMissingNode()) {
                ObjectNode v = JSON.createObjectNode().put("oid", f.sha256()).put("size", f.size);
                HubHttp.Call vc = jsonCall(
                                "POST", URI.create(verify.path("href").asText()), v, repo, revision)
                        .header("Accept", LFS_JSON)
                        .header("Content-Type", LFS_JSON);
                copyHeaders(verify.path("header"), vc);
                HubHttp.drain(http.send(vc));
            }
            LOG.info("uploaded {} ({} bytes)", f.repoPath, f.size);
        }
    }

    /** PUT bytes [from, from+len) of the file to a pre-signed URL: no token, only the headers the Hub gave. */
    private String put(LocalUpload f, URI href, JsonNode headers, long from, long len) throws IOException {
        HubHttp.Call put = new HubHttp.Call("PUT", href, () -> slice(f, from, len))
                .about(new HubErrors.Subject(null, null, f.repoPath));
        put.hubAuth = false;
        put.timeout = Duration.ZERO;
        copyHeaders(headers, put);
        HttpResponse<InputStream> r = http.send(put);
        HubHttp.drain(r);
        return r.headers().firstValue("ETag").orElse("");
    }

    private void multipart(LocalUpload f, JsonNode upload) throws IOException {
        JsonNode header = upload.path("header");
        long chunk = header.path("chunk_size").asLong();
        int parts = (int) ((f.size + chunk - 1) / chunk);
        ObjectNode done = JSON.createObjectNode().put("oid", f.sha256());
        ArrayNode list = done.putArray("parts");
        for (int i = 1; i <= parts; i++) {
            String href = header.path(Integer.toString(i)).asText(null);
            if (href == null) {
                throw new HubAccessException(
                        Kind.BAD_REQUEST,
                        200,
                        "the Hub's multipart plan for '" + f.repoPath + "' lacks a URL for part " + i + " of " + parts);
            }
            long from = (i - 1) * chunk;
            String etag = put(f, URI.create(href), null, from, Math.min(chunk, f.size - from));
            list.addObject().put("partNumber", i).put("etag", etag);
        }
        HubHttp.Call complete = jsonCall("POST", URI.create(upload.path("href").asText()), done, null, null)
                .header("Accept", LFS_JSON)
                .header("Content-Type", LFS_JSON);
        complete.hubAuth = false;
        HubHttp.drain(http.send(complete));
    }

    private static HttpRequest.BodyPublisher slice(LocalUpload f, long from, long len) {
        return HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> {
                    try {
                        java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f.file);
                        ch.position(from);
                        return new BoundedInputStream(java.nio.channels.Channels.newInputStream(ch), len);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException("cannot read " + f.file + " for upload", e);
                    }
                }),
                len);
    }

    /**
     * The action's own headers (git-lfs spec), except ones HttpClient manages, multipart plan keys, and any
     * header carrying our token (a server echoing it must not make us send it to another host).
     */
    private void copyHeaders(JsonNode headers, HubHttp.Call call) {
        if (headers == null) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> h = it.next();
            String name = h.getKey().toLowerCase(Locale.ROOT);
            String value = h.getValue().asText();
            boolean ours =
                    http.settings().token() != null && http.settings().token().occursIn(value);
            if (!RESTRICTED.contains(name) && !ours && !name.equals("chunk_size") && !name.matches("\\d+")) {
                call.header(h.getKey(), value);
            }
        }
    }

    private HubHttp.Call jsonCall(String method, URI uri, JsonNode body, HubRepo repo, String revision)
            throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        return new HubHttp.Call(method, uri, () -> HttpRequest.BodyPublishers.ofByteArray(bytes))
                .header("Content-Type", "application/json")
                .about(new HubErrors.Subject(repo, revision, null));
    }

    private static JsonNode readJson(HttpResponse<InputStream> resp) throws IOException {
        try (InputStream in = resp.body()) {
            return JSON.readTree(in);
        }
    }

    private static void line(ByteArrayOutputStream out, JsonNode n) throws IOException {
        out.write(JSON.writeValueAsBytes(n));
        out.write('\n');
    }

    private static void sleep(Duration d) throws IOException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while creating a repo");
        }
    }

    /** Reads at most {@code limit} bytes of the wrapped stream. */
    private static final class BoundedInputStream extends InputStream {
        private final InputStream in;
        private long left;

        BoundedInputStream(InputStream in, long limit) {
            this.in = in;
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
